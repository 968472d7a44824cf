"""nbgrader configuration for this course: copy it to the root of your nbgrader course folder.

With it, `nbgrader generate_assignment` releases exactly the course's exercises/ notebooks
(tests/test_nbgrader.py checks this cell for cell with nbgrader 0.9.6): the blank answer is the
course's `...  # YOUR CODE HERE` (it runs, and the question says "Not attempted yet"; the
autograder test after it fails and scores 0), not nbgrader's `raise NotImplementedError()`.
See instructors/README.md.
"""
c = get_config()  # noqa: F821 (nbgrader defines get_config when it reads this file)

# What replaces a ### BEGIN SOLUTION ... ### END SOLUTION block: the same as
# course_lib.authoring.CODE_BLANK and TEXT_BLANK, which wrote exercises/.
c.ClearSolutions.code_stub = {"python": "...  # YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# The markers as course_lib.authoring reads them: the whole "### ..." comment, so that a line
# merely mentioning "BEGIN SOLUTION" is never taken for one.
c.ClearSolutions.begin_solution_delimeter = "### BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "### END SOLUTION"

# One assignment per exercise notebook, named like it without ".ipynb" (source/01_alexnet_shapes/
# 01_alexnet_shapes.ipynb): then `nbgrader export` gives one score per student and notebook, the
# same rows as the course's own grader (python -m course_lib.grade).
# Autograding runs every notebook top to bottom in the environment where course_lib is installed.
c.ExecutePreprocessor.timeout = 120   # seconds per cell, as the course's grader allows a notebook
