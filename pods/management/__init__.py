"""The command line (`manage.py ...`): the commands in `commands/`, and what they share for the terminal.

- `terminal`: plain-text Pod lists and timelines (cluster strings cleaned of control characters).
- `describe_text`: `pods show`'s describe part; `listing`: the `list` action of the listing commands.
"""
