"""Settings for every test run, the notebooks' kernels included (they inherit this environment).

pytest-xdist already runs two workers on two cores; letting each NumPy call also spawn a
BLAS thread per core oversubscribes the machine (an SVD in notebook 06 ran 20x slower).
"""
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
# The solutions' nbgrader test cells (`q1.autograder_test()`) raise on a wrong answer here, as they do
# under nbgrader, so nbval catches a solution that no longer answers its question.
os.environ.setdefault("COURSE_STRICT_TESTS", "1")
# Headless matplotlib in tests and in the nbval kernels.
os.environ.setdefault("MPLBACKEND", "Agg")
