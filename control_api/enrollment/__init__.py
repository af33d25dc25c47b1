"""Baseline enrollment: the candidate's face and voice, turned into embeddings.

The candidate's page uploads a few photos and a short reading; the proctoring engine
checks their quality (with reasons a candidate understands) and the API keeps the
embeddings, which the agent later compares the live interview against.
"""
