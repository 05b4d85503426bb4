import sys

from optmodel.cli import main

sys.exit(main())
