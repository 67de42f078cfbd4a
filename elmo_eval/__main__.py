import sys

from elmo_eval.cli import main

sys.exit(main())
