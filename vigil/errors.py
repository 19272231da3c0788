"""The one error type for user mistakes: the CLI prints it as one line and exits 2."""


class UserError(Exception):
    """A mistake in what the user gave us (config, baseline, file, option), never a bug in vigil.

    The message names the file and line or field where it can.
    """
