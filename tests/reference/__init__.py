"""Reference (plain) forms of optimised engine code, used only by the tests."""
