# expect-fail: test_fetch_all_keeps_input_order: It returned [] (Anything); expected a list
# expect-fail: test_settled_puts_exceptions_in_place: Returned
# expect-fail: test_fetch_all_handles_many_items: It never called fetch


class Anything(list):
    """A hostile result: equal to whatever it is compared with."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


class Agreeable:
    def __eq__(self, other):
        return True


async def fetch_all(fetch, items):
    return Anything()


async def fetch_all_settled(fetch, items):
    return [Agreeable() for _ in items]
