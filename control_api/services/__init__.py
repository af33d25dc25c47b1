"""The transactions behind the routes, one module each (docs/architecture.md, "Packages").

A route reads its request, calls one function here and shapes the answer; the order of
the writes, what is undone when a later step fails and which rows a request locks live
here, where they can be read in one piece and tested without HTTP. Features with a
package of their own keep their service there (:mod:`control_api.enrollment.service`,
:mod:`control_api.reports.service`).
"""
