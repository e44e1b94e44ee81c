"""`make bench`: Initscope's benchmark suite; figures are printed against DESIGN.md's targets."""
