"""Where tables and keys are in a definition file's TOML text, so that each problem the
loader (``definition_file``) finds is reported with its line."""

from __future__ import annotations

import re


class Lines:
    """Where tables and keys are in the TOML text, to name the line of each problem."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")

    def __init__(self, text: str) -> None:
        self.text = text.splitlines()
        self.blocks: dict[tuple[str, int], list[int]] = {("", 0): [1, len(self.text)]}
        counts: dict[str, int] = {}
        current = ("", 0)
        for number, line in enumerate(self.text, start=1):
            header = self._HEADER.match(line)
            if not header:
                continue
            name = header.group(2).replace('"', "").replace("'", "").replace(" ", "")
            if "." in name and name.split(".")[0] == current[0]:
                continue  # [fit.when] continues the current [[fit]] table
            self.blocks[current][1] = number - 1
            if header.group(1) == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
                current = (name, index)
            else:
                current = (name, 0)
            self.blocks[current] = [number, len(self.text)]

    def span(self, table: str, index: int = 0) -> tuple[int, int]:
        start, end = self.blocks.get((table, index), (0, 0))
        return start, end

    def key(self, table: str, key: str) -> int:
        start, end = self.span(table)
        return self.key_in(start, end, key) if start else 0

    def key_in(self, start: int, end: int, key: str) -> int:
        for number in range(max(start, 1), end + 1):
            match = self._KEY.match(self.text[number - 1])
            if match and match.group(1).strip('"') == key:
                return number
        return 0

    def find(self, start: int, end: int, needles: tuple[str, ...]) -> int:
        for needle in needles:
            for number in range(max(start, 1), end + 1):
                if needle in self.text[number - 1]:
                    return number
        return 0
