"""Reading a page the way a user does: the text of marked elements.

``texts(page, "sla")`` returns the visible text of every element with
``data-testid="sla"``, whitespace collapsed, so tests assert exactly what a
user reads rather than searching the markup.
"""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
VOID |= {"source", "track", "wbr"}
# Elements that start a new line on screen: their text is kept apart.
BLOCK = {"div", "p", "li", "dt", "dd", "tr", "td", "th", "br", "h1", "h2", "ul"}
BLOCK |= {"section", "table", "option", "form", "label", "figcaption"}


class _Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def text(self):
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag in BLOCK:
                parts.append(f" {child.text()} ")
            else:
                parts.append(child.text())
        return " ".join("".join(parts).split())

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, _Node):
                yield from child.walk()


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = _Node("document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        if self.current.tag not in ("script", "style"):
            self.current.children.append(data)


def elements(page, **attrs):
    """Elements whose attributes include ``attrs`` (``data_testid="sla"``)."""
    if isinstance(page, bytes):
        page = page.decode()
    tree = _Tree()
    tree.feed(page)
    wanted = {key.replace("_", "-"): value for key, value in attrs.items()}
    return [
        node
        for node in tree.root.walk()
        if all(node.attrs.get(k) == v for k, v in wanted.items())
    ]


def texts(page, testid):
    """The visible text of every element marked ``data-testid=testid``."""
    return [node.text() for node in elements(page, data_testid=testid)]


def text(page, testid):
    """The text of the one element marked ``testid`` (fails if not one)."""
    found = texts(page, testid)
    assert len(found) == 1, f"{len(found)} elements marked {testid!r}"
    return found[0]


def options(page, name):
    """The visible labels of the options of the select named ``name``."""
    selects = [n for n in elements(page) if n.tag == "select"]
    for select in selects:
        if select.attrs.get("name") == name:
            return [
                node.text()
                for node in select.walk()
                if node.tag == "option" and node.attrs.get("value")
            ]
    raise AssertionError(f"no select named {name!r}")


def field(page, form_testid, name):
    """The input, select or textarea ``name`` of the form marked ``form_testid``."""
    [form] = elements(page, data_testid=form_testid)
    found = [node for node in form.walk() if node.attrs.get("name") == name]
    assert len(found) == 1, f"{len(found)} fields named {name!r} in {form_testid}"
    return found[0]


def messages(page):
    return texts(page, "message")
