"""Why is my gradient None? ``unconnected_gradients="raise"`` and ``tape.explain``: one reason per
unconnected source, and for a cut path the operation and the file and line of the code that
called it (here, this file)."""

import inspect
import re

import pytest

import tapegrad as tg

NEVER_WATCHED = (
    "was never watched: tapes watch variables automatically but other tensors only after "
    "tape.watch(x), called before x is used"
)
NOT_READ = (
    "was not read inside the tape: only operations run inside the tape's `with` block are "
    "recorded; compute the target from it there"
)
NOT_TRAINABLE = (
    "is not trainable, so tapes do not watch it: call tape.watch(v), or create it with "
    "trainable=True"
)
NOT_WATCHED_ACCESSED = (
    "was never watched: this tape has watch_accessed_variables=False; call tape.watch(v) "
    "inside the `with` block"
)
NOT_USED = (
    "was watched, but no operation recorded by the tape used it: compute the target from it "
    "inside the tape's `with` block, with tape.watch(x) called before x is used"
)
NOT_DEPENDING = (
    "was read inside the tape, but the target does not depend on it: the target was computed "
    "without it (check which value the loss uses)"
)
CONNECTED = "is connected: the target depends on it through recorded operations"


def cut(*ops) -> str:
    """The reason for a path cut by ``ops``: (name, line in this file) pairs."""
    named = "; ".join(f"{name} at {__file__}:{line}" for name, line in ops)
    return (
        "reaches the target only through an operation without a derivative, which cuts the "
        f"gradient: {named}. Remove it from the path (for a cast, keep a floating-point dtype; "
        "for stop_gradient, that is its purpose)"
    )


def next_line() -> int:
    """The number of the line after the caller's."""
    return inspect.currentframe().f_back.f_lineno + 1


def unconnected(reasons: dict, total: int) -> str:
    """The error's message: ``reasons`` maps a source's position to its reason."""
    lines = "".join(f"\n- source {i}: {reason}" for i, reason in reasons.items())
    return f"the target does not depend on {len(reasons)} of the {total} sources:{lines}"


def raises_unconnected(message: str):
    return pytest.raises(tg.UnconnectedGradientError, match=f"^{re.escape(message)}$")


def test_unconnected_gradient_error_is_a_value_error():
    assert issubclass(tg.UnconnectedGradientError, ValueError)


# -- the reasons, one per source -------------------------------------------------------------------
def test_each_unconnected_source_gets_its_reason():
    x = tg.constant(1.0)
    v = tg.Variable(2.0, name="v")
    unread = tg.Variable(3.0, name="unread")
    frozen = tg.Variable(4.0, name="frozen", trainable=False)
    other = tg.Variable(5.0, name="other")
    with tg.GradientTape() as tape:
        y = v * 2.0 + frozen + x
        other * 3.0
    message = unconnected(
        {
            1: f"the float32 tensor of shape () {NEVER_WATCHED}",
            2: f"variable 'unread:0' {NOT_READ}",
            3: f"variable 'frozen:0' {NOT_TRAINABLE}",
            4: f"variable 'other:0' {NOT_DEPENDING}",
        },
        5,
    )
    with raises_unconnected(message):
        tape.gradient(y, [v, x, unread, frozen, other], unconnected_gradients="raise")


def test_a_tensor_never_watched():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        y = x * 2.0
    reason = f"the float32 tensor of shape (2,) {NEVER_WATCHED}"
    assert tape.explain(y, x) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_a_tensor_watched_only_after_its_use_is_told_to_watch_before_use():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        y = x * 2.0  # the target is computed from x inside the block, before the watch
        tape.watch(x)
    assert "called before x is used" in tape.explain(y, x)


def test_a_variable_not_read_inside_the_tape():
    v = tg.Variable(1.0, name="weight")
    with tg.GradientTape() as tape:
        y = tg.constant(2.0) * 3.0
    v * 2.0  # read after the tape stopped recording
    reason = f"variable 'weight:0' {NOT_READ}"
    assert tape.explain(y, v) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, v, unconnected_gradients="raise")


def test_a_non_trainable_variable():
    v = tg.Variable(1.0, name="step", trainable=False)
    with tg.GradientTape() as tape:
        y = v * 2.0
    reason = f"variable 'step:0' {NOT_TRAINABLE}"
    assert tape.explain(y, v) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, v, unconnected_gradients="raise")


def test_a_variable_on_a_tape_that_does_not_watch_accessed_variables():
    v = tg.Variable(1.0, name="w")
    with tg.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 2.0
    reason = f"variable 'w:0' {NOT_WATCHED_ACCESSED}"
    assert tape.explain(y, v) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, v, unconnected_gradients="raise")


def test_a_watched_tensor_that_no_operation_used():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.constant(2.0) * 3.0
    reason = f"the float32 tensor of shape () {NOT_USED}"
    assert tape.explain(y, x) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_a_variable_read_but_not_used_by_the_target():
    a = tg.Variable(1.0, name="a")
    b = tg.Variable(2.0, name="b")
    with tg.GradientTape() as tape:
        loss = a * 3.0
        b * 4.0  # computed, but not part of the loss
    reason = f"variable 'b:0' {NOT_DEPENDING}"
    assert tape.explain(loss, b) == reason
    with raises_unconnected(unconnected({1: reason}, 2)):
        tape.gradient(loss, [a, b], unconnected_gradients="raise")


def test_a_tensor_read_but_not_used_by_the_target():
    x = tg.constant([1.0, 2.0], dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        unused = tg.sin(x)
        y = tg.constant(1.0) * 2.0
    assert unused.shape == (2,)
    assert tape.explain(y, x) == f"the float64 tensor of shape (2,) {NOT_DEPENDING}"


# -- cuts: operations without a derivative ---------------------------------------------------------
def test_a_cast_to_an_integer_dtype_names_the_op_and_this_line():
    x = tg.constant([1.5, -2.5])
    with tg.GradientTape() as tape:
        tape.watch(x)
        line = next_line()
        i = tg.astype(x * 2.0, tg.int32)
        y = tg.astype(i, tg.float32) * 3.0
    reason = f"the float32 tensor of shape (2,) {cut(('astype', line))}"
    assert tape.explain(y, x) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_a_comparison_used_through_astype_names_the_comparison():
    x = tg.constant([1.5, -2.5])
    with tg.GradientTape() as tape:
        tape.watch(x)
        line = next_line()
        mask = x > 0
        y = tg.sum(tg.astype(mask, tg.float32) * 4.0)
    reason = f"the float32 tensor of shape (2,) {cut(('greater', line))}"
    assert tape.explain(y, x) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_a_comparison_used_through_where_names_the_comparison():
    x = tg.constant([1.5, -2.5])
    with tg.GradientTape() as tape:
        tape.watch(x)
        line = next_line()
        y = tg.where(x <= 0, 1.0, 0.0)
    reason = f"the float32 tensor of shape (2,) {cut(('less_equal', line))}"
    assert tape.explain(y, x) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_where_with_the_source_in_a_branch_is_connected():
    x = tg.constant([1.5, -2.5])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.where(x > 0, x * 2.0, 0.0)
    assert tape.explain(y, x) == f"the float32 tensor of shape (2,) {CONNECTED}"
    assert tape.gradient(y, x, unconnected_gradients="raise").numpy().tolist() == [2.0, 0.0]


def test_stop_gradient_names_the_op_and_this_line():
    v = tg.Variable([1.0, 2.0], name="v")
    with tg.GradientTape() as tape:
        line = next_line()
        frozen = tg.stop_gradient(v * 2.0)
        y = tg.sum(frozen * frozen)
    reason = f"variable 'v:0' {cut(('stop_gradient', line))}"
    assert tape.explain(y, v) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, v, unconnected_gradients="raise")


def test_an_argmax_like_index_from_a_cast_names_the_cast():
    v = tg.Variable([0.2, 0.9, 0.4], name="scores")
    with tg.GradientTape() as tape:
        line = next_line()
        index = tg.astype(tg.round(v), tg.int64)
        y = tg.sum(tg.astype(index, tg.float32))
    reason = f"variable 'scores:0' {cut(('astype', line))}"
    assert tape.explain(y, v) == reason
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, v, unconnected_gradients="raise")


def test_every_cut_on_the_paths_is_named():
    x = tg.constant([1.5, -2.5])
    with tg.GradientTape() as tape:
        tape.watch(x)
        first = next_line()
        as_int = tg.astype(x, tg.int32)
        second = next_line()
        frozen = tg.stop_gradient(x)
        y = tg.astype(as_int, tg.float32) + frozen
    reason = f"the float32 tensor of shape (2,) {cut(('astype', first), ('stop_gradient', second))}"
    assert tape.explain(y, x) == reason


def test_a_cut_inside_a_helper_function_names_the_helpers_line():
    def rounded(t):
        return tg.astype(tg.astype(t, tg.int32), tg.float32)

    helper_line = inspect.getsourcelines(rounded)[1] + 1
    x = tg.constant(2.5)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = rounded(x) * 2.0
    assert tape.explain(y, x) == f"the float32 tensor of shape () {cut(('astype', helper_line))}"


def test_a_cut_beside_a_connected_path_is_connected():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 3.0 + tg.stop_gradient(x)
    assert tape.explain(y, x) == f"the float32 tensor of shape () {CONNECTED}"
    assert float(tape.gradient(y, x, unconnected_gradients="raise")) == 3.0


# -- connected sources, explain, and the tape's state ----------------------------------------------
def test_connected_sources_are_explained_as_connected():
    v = tg.Variable(3.0, name="v")
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * v)
    assert tape.explain(y, v) == f"variable 'v:0' {CONNECTED}"
    assert tape.explain(y, x) == f"the float32 tensor of shape (2,) {CONNECTED}"


def test_raise_returns_the_gradients_when_every_source_is_connected():
    v = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = v * v
    assert float(tape.gradient(y, v, unconnected_gradients="raise")) == 6.0


def test_explain_of_the_target_itself():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
    assert tape.explain(x, x) == "the float32 tensor of shape () is the target itself"


def test_explain_does_not_raise_and_does_not_spend_a_non_persistent_tape():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.stop_gradient(x) * x
    assert tape.explain(y, x) == f"the float32 tensor of shape () {CONNECTED}"
    assert float(tape.gradient(y, x)) == 2.0


def test_explain_after_a_non_persistent_tapes_gradient_raised():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        line = next_line()
        y = tg.stop_gradient(x) * 2.0
    reason = f"the float32 tensor of shape () {cut(('stop_gradient', line))}"
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.gradient(y, x, unconnected_gradients="raise")
    assert tape.explain(y, x) == reason


def test_a_non_persistent_tape_is_spent_after_the_error():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(tg.UnconnectedGradientError):
        tape.gradient(y, x, unconnected_gradients="raise")
    with pytest.raises(RuntimeError, match="can only be called once on non-persistent tapes"):
        tape.gradient(y, x)


def test_a_persistent_tape_explains_the_same_after_the_error():
    v = tg.Variable(1.0, name="v")
    with tg.GradientTape(persistent=True) as tape:
        y = tg.astype(tg.astype(v, tg.int32), tg.float32)
    first = tape.explain(y, v)
    with pytest.raises(tg.UnconnectedGradientError):
        tape.gradient(y, v, unconnected_gradients="raise")
    assert tape.explain(y, v) == first
    assert first.startswith("variable 'v:0' reaches the target only through")


def test_jacobian_with_raise_explains_the_source():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        line = next_line()
        z = tg.stop_gradient(x) * 2.0
    reason = f"the float32 tensor of shape (2,) {cut(('stop_gradient', line))}"
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.jacobian(z, x, unconnected_gradients="raise")


def test_batch_jacobian_with_raise_explains_the_source():
    x = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        line = next_line()
        z = tg.astype(tg.astype(x, tg.int32), tg.float32)
    reason = f"the float32 tensor of shape (2, 2) {cut(('astype', line))}"
    with raises_unconnected(unconnected({0: reason}, 1)):
        tape.batch_jacobian(z, x, unconnected_gradients="raise")


def test_none_zero_and_raise_on_the_same_unconnected_source():
    x = tg.constant(1.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.constant(3.0) * 2.0
    assert tape.gradient(y, x) is None
    assert float(tape.gradient(y, x, unconnected_gradients="zero")) == 0.0
    with pytest.raises(tg.UnconnectedGradientError):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_an_unknown_unconnected_gradients_value_raises_value_error():
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        y = x * 2.0
    message = "unconnected_gradients must be 'none', 'zero' or 'raise', not 'error'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        tape.gradient(y, x, unconnected_gradients="error")


@pytest.mark.parametrize("depth", [2, 3])
def test_explain_finds_the_cut_however_many_cuts_the_path_crosses(depth):
    x, w, u = tg.Variable(1.0, name="x"), tg.Variable(2.0, name="w"), tg.Variable(3.0, name="u")
    with tg.GradientTape() as tape:
        y = x
        for _ in range(depth):
            y = tg.astype(tg.astype(y, tg.int32), tg.float32) * w
        y = y * u
    assert tape.explain(y, x).startswith(
        "variable 'x:0' reaches the target only through an operation without a derivative"
    )


def test_explain_says_when_the_target_was_computed_after_the_tape_closed():
    x = tg.Variable(1.0, name="x")
    with tg.GradientTape() as tape:
        z = x * 2.0
    y = z * 3.0
    assert tape.explain(y, x) == (
        "variable 'x:0' was read inside the tape, but the target was computed after the tape's "
        "`with` block ended, and only operations the tape records reach it: compute the "
        "target while it records"
    )
    with tg.GradientTape(persistent=True) as paused:
        z = x * 2.0
        with paused.stop_recording():
            y = z * 3.0
        w = z * 4.0
    assert "computed while the tape was not recording (inside stop_recording" in paused.explain(
        y, x
    )
    assert paused.explain(w, x).endswith("through recorded operations")
    with pytest.raises(tg.UnconnectedGradientError, match="computed after the tape's `with`"):
        tape.gradient(y, x, unconnected_gradients="raise")


def test_explain_after_a_non_persistent_gradient_says_the_record_is_gone():
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        y = x * 2.0
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="call explain before gradient"):
        tape.explain(y, x)


def test_a_path_through_reads_made_before_watch_is_not_called_connected():
    # x * y was recorded with y watched and x not yet: a constant x to the tape, so the
    # gradient is None, and explain says why (it used to say "connected")
    x, y = tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(y)
        product = x * y
        tape.watch(x)
        z = product * 2.0
    assert tape.gradient(z, x) is None
    assert tape.explain(z, x) == (
        "the float32 tensor of shape () reaches the target only through reads made before the "
        "tape watched it, which the tape takes as constants: call tape.watch(x) before x is used"
    )
    assert tape.explain(z, y) == f"the float32 tensor of shape () {CONNECTED}"


def test_a_custom_rule_returning_none_is_named_not_called_connected():
    @tg.custom_gradient
    def product(x, y):
        return x * y, lambda g: (g * y, None)

    x, y = tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = product(x, y)
    assert tape.explain(z, y) == (
        "the float32 tensor of shape () is connected: the target depends on it through recorded "
        "operations, among them custom rules (product); a gradient of None for it comes from "
        "such a rule returning None"
    )
    with pytest.raises(tg.UnconnectedGradientError) as caught:
        tape.gradient(z, [x, y], unconnected_gradients="raise")
    assert str(caught.value) == (
        "the target does not depend on 1 of the 2 sources:\n- source 1: the float32 tensor of "
        "shape () reaches the target only through operations whose rules give it no gradient: "
        "product (an input without a derivative, or a custom rule that returned None for it); "
        "make the rule return a gradient for it"
    )


def test_a_target_computed_inside_stop_recording_is_explained_as_such():
    x = tg.constant(2.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x * 3.0
    assert tape.explain(y, x) == (
        "the float32 tensor of shape () was watched, but the target was computed while the "
        "tape was not recording (inside stop_recording, or between two blocks), where no "
        "operation is recorded: compute the target while the tape records"
    )
