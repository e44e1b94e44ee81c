"""The pages: views, URL patterns, the waterfall layout, templates and template tags.

Views are thin: they read the request, call `pods.selectors`, lay out the waterfall (`waterfall`, pure)
and render server-side HTML that the front-end modules in `frontend/` swap in on live changes.
"""
