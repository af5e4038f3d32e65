"""Every optimizer against its published (Keras 3) update formula, computed by hand with NumPy
on a small problem; the options every optimizer shares; LBFGS; bad input."""

import math
import re
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.optimizers import schedules

W0 = np.array([1.0, -2.0, 0.5])
A = np.array([1.0, 3.0, 0.5])
C = np.array([0.5, 1.0, -1.0])
STEPS = 6


def grad_of(w):
    """The gradient of the test problem 0.5 * sum(A * (w - C)**2)."""
    return A * (w - C)


def run(optimizer, steps=STEPS, w0=W0, dtype=tg.float64):
    """The trajectory of tapegrad's optimizer on the test problem, gradients from a tape."""
    w = tg.Variable(w0, dtype=dtype)
    a, c = tg.constant(A, dtype=dtype), tg.constant(C, dtype=dtype)
    out = []
    for _ in range(steps):
        with tg.GradientTape() as tape:
            loss = 0.5 * tg.sum(a * (w - c) ** 2)
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
        out.append(w.numpy().astype(np.float64))
    return np.array(out)


def by_hand(update, steps=STEPS, w0=W0):
    """The trajectory of ``update(w, g, t, state) -> w`` (t counts from 1) on the test problem."""
    w, state, out = w0.copy(), {}, []
    for t in range(1, steps + 1):
        w = update(w, grad_of(w), t, state)
        out.append(w.copy())
    return np.array(out)


# -- the published formulas, written out independently of the library --------------------------
def sgd(lr, momentum=0.0, nesterov=False):
    def update(w, g, t, s):
        if momentum == 0:
            return w - lr * g
        s["m"] = momentum * s.get("m", 0 * w) - lr * g
        return w + (momentum * s["m"] - lr * g if nesterov else s["m"])

    return update


def adam(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, weight_decay=None):
    def update(w, g, t, s):
        if weight_decay is not None:
            w = w - w * weight_decay * lr
        s["m"] = b1 * s.get("m", 0 * w) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0 * w) + (1 - b2) * g * g
        v = s["v"]
        if amsgrad:
            v = s["v_hat"] = np.maximum(s.get("v_hat", 0 * w), v)
        # Keras: epsilon added to the root of the uncorrected v ("epsilon hat")
        return w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * s["m"] / (np.sqrt(v) + eps)

    return update


def rmsprop(lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    def update(w, g, t, s):
        s["v"] = rho * s.get("v", 0 * w) + (1 - rho) * g * g
        denominator = s["v"] + eps
        if centered:
            s["a"] = rho * s.get("a", 0 * w) + (1 - rho) * g
            denominator = s["v"] - s["a"] ** 2 + eps
        step = lr * g / np.sqrt(denominator)  # epsilon inside the root
        if momentum > 0:
            step = s["p"] = momentum * s.get("p", 0 * w) + step
        return w - step

    return update


def adagrad(lr, initial=0.1, eps=1e-7):
    def update(w, g, t, s):
        s["a"] = s.get("a", initial + 0 * w) + g * g
        return w - lr * g / np.sqrt(s["a"] + eps)

    return update


def adadelta(lr, rho=0.95, eps=1e-7):
    def update(w, g, t, s):
        s["eg"] = rho * s.get("eg", 0 * w) + (1 - rho) * g * g
        delta = -np.sqrt(s.get("ed", 0 * w) + eps) / np.sqrt(s["eg"] + eps) * g
        s["ed"] = rho * s.get("ed", 0 * w) + (1 - rho) * delta * delta
        return w + lr * delta

    return update


def adamax(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, t, s):
        s["m"] = b1 * s.get("m", 0 * w) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0 * w), np.abs(g))
        return w - lr / (1 - b1**t) * s["m"] / (s["u"] + eps)

    return update


def nadam(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, t, s):
        mu_t, mu_next = b1 * (1 - 0.5 * 0.96**t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["prod"] = s.get("prod", 1.0) * mu_t
        s["m"] = b1 * s.get("m", 0 * w) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0 * w) + (1 - b2) * g * g
        m_hat = mu_next * s["m"] / (1 - s["prod"] * mu_next) + (1 - mu_t) * g / (1 - s["prod"])
        v_hat = s["v"] / (1 - b2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)

    return update


def lion(lr, b1=0.9, b2=0.99):
    def update(w, g, t, s):
        m = s.get("m", 0 * w)
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        s["m"] = b2 * m + (1 - b2) * g
        return w

    return update


def ftrl(lr, power=-0.5, initial=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    """FTRL-Proximal in its published closed form: w = 0 where |z| <= l1, else
    -(z - sign(z) * l1) / (n**p / lr + 2 * (l2 + beta / (2 * lr)))."""
    p = -power

    def update(w, g, t, s):
        n = s.get("n", initial + 0 * w)
        n_new = n + g * g
        sigma = (n_new**p - n**p) / lr
        s["z"] = s.get("z", 0 * w) + g + 2 * shrinkage * w - sigma * w
        s["n"] = n_new
        q = n_new**p / lr + 2 * (l2 + beta / (2 * lr))
        z = s["z"]
        return np.where(np.abs(z) <= l1, 0.0, -(z - np.sign(z) * l1) / q)

    return update


def lamb(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, t, s):
        s["m"] = b1 * s.get("m", 0 * w) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0 * w) + (1 - b2) * g * g
        r = (s["m"] / (1 - b1**t)) / (np.sqrt(s["v"] / (1 - b2**t)) + eps)
        ratio = np.linalg.norm(w) / np.linalg.norm(r)
        return w - ratio * lr * r

    return update


opts = tg.optimizers
CASES = {
    "sgd": (lambda: opts.SGD(0.1), sgd(0.1)),
    "sgd-momentum": (lambda: opts.SGD(0.1, momentum=0.9), sgd(0.1, 0.9)),
    "sgd-nesterov": (lambda: opts.SGD(0.1, momentum=0.9, nesterov=True), sgd(0.1, 0.9, True)),
    "adam": (lambda: opts.Adam(0.1), adam(0.1)),
    "adam-betas-eps": (
        lambda: opts.Adam(0.05, beta_1=0.5, beta_2=0.9, epsilon=0.1),
        adam(0.05, 0.5, 0.9, 0.1),
    ),
    "adam-amsgrad": (lambda: opts.Adam(0.3, amsgrad=True), adam(0.3, amsgrad=True)),
    "adamw": (lambda: opts.AdamW(0.1), adam(0.1, weight_decay=0.004)),
    "adamw-decay": (lambda: opts.AdamW(0.1, weight_decay=0.5), adam(0.1, weight_decay=0.5)),
    "rmsprop": (lambda: opts.RMSprop(0.1), rmsprop(0.1)),
    "rmsprop-centered": (lambda: opts.RMSprop(0.1, centered=True), rmsprop(0.1, centered=True)),
    "rmsprop-momentum": (lambda: opts.RMSprop(0.1, momentum=0.5), rmsprop(0.1, momentum=0.5)),
    "rmsprop-both": (
        lambda: opts.RMSprop(0.05, rho=0.8, momentum=0.5, epsilon=0.01, centered=True),
        rmsprop(0.05, 0.8, 0.5, 0.01, True),
    ),
    "adagrad": (lambda: opts.Adagrad(0.5), adagrad(0.5)),
    "adagrad-initial": (
        lambda: opts.Adagrad(0.5, initial_accumulator_value=1.0, epsilon=0.1),
        adagrad(0.5, 1.0, 0.1),
    ),
    "adadelta": (lambda: opts.Adadelta(1.0), adadelta(1.0)),
    "adadelta-rho-eps": (
        lambda: opts.Adadelta(0.5, rho=0.5, epsilon=1e-3),
        adadelta(0.5, 0.5, 1e-3),
    ),
    "adamax": (lambda: opts.Adamax(0.1), adamax(0.1)),
    "nadam": (lambda: opts.Nadam(0.1), nadam(0.1)),
    "nadam-betas": (lambda: opts.Nadam(0.1, beta_1=0.5, beta_2=0.9), nadam(0.1, 0.5, 0.9)),
    "lion": (lambda: opts.Lion(0.1), lion(0.1)),
    "lion-betas": (lambda: opts.Lion(0.1, beta_1=0.5, beta_2=0.6), lion(0.1, 0.5, 0.6)),
    "ftrl": (lambda: opts.Ftrl(0.5), ftrl(0.5)),
    "ftrl-regularised": (
        lambda: opts.Ftrl(
            0.5,
            learning_rate_power=-0.7,
            initial_accumulator_value=0.5,
            l1_regularization_strength=0.05,
            l2_regularization_strength=0.1,
            l2_shrinkage_regularization_strength=0.05,
            beta=0.2,
        ),
        ftrl(0.5, -0.7, 0.5, 0.05, 0.1, 0.05, 0.2),
    ),
    "ftrl-l1-zeroes": (
        lambda: opts.Ftrl(0.5, l1_regularization_strength=2.0),
        ftrl(0.5, l1=2.0),
    ),
    "lamb": (lambda: opts.Lamb(0.1), lamb(0.1)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_first_steps_follow_the_published_formula(case):
    make, update = CASES[case]
    got, want = run(make()), by_hand(update)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert not np.allclose(got[-1], W0)  # the test problem really moves


def test_ftrl_with_strong_l1_sets_small_weights_to_exactly_zero():
    first = run(opts.Ftrl(0.5, l1_regularization_strength=2.0), steps=1)[0]
    assert first[0] == 0.0 and first[2] == 0.0  # |z| <= l1 there
    assert first[1] == pytest.approx(-1.3190362703205336, rel=1e-12)


def test_ftrl_l1_soft_thresholds_the_magnitude_of_complex_entries():
    """w = -(z - l1 * z / |z|) / (n'**0.5 / lr) where |z| > l1, else 0: a complex clip
    (lexicographic) gave z = -0.5 - 10j the step of -0.5 - 1j, z = 10 - 0.5j that of 1 - 0.5j."""
    g = np.array([-0.5 - 10j, 10 - 0.5j, 0.3 + 0.4j, 3j, -2.0])
    w = tg.Variable(np.zeros(g.size, complex))
    opts.Ftrl(0.1, l1_regularization_strength=1.0).apply_gradients([(tg.constant(g), w)])
    n = 0.1 + np.abs(g) ** 2  # z = g at the first step from w = 0
    want = -(g - g / np.abs(g)) / (np.sqrt(n) / 0.1)
    want[2] = 0.0  # |z| = 0.5 <= l1
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-15)
    assert w.numpy()[2] == 0 and w.numpy()[3].real == 0 and w.numpy()[4].imag == 0


def test_ftrl_with_a_zero_learning_rate_says_so_and_changes_nothing():
    """Its step divides by the learning rate: a bare ZeroDivisionError before (Keras: NaN)."""
    warmup = schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=5)
    for rate in (0.0, warmup):
        opt, w = opts.Ftrl(rate, beta=0.5), tg.Variable([1.0, 2.0])
        with pytest.raises(ValueError) as caught:
            opt.apply_gradients([(tg.constant([1.0, 1.0]), w)])
        assert str(caught.value) == (
            "Ftrl cannot take a step with learning rate 0: its update divides by the "
            "learning rate (Keras would make every weight NaN), and nothing was changed; use a "
            "learning rate > 0, e.g. start a warm-up schedule above 0 "
            "(CosineDecay(initial_learning_rate=1e-6, ...)) rather than at 0"
        )
        assert w.numpy().tolist() == [1.0, 2.0] and int(opt.iterations) == 0
        assert opt.get_slot(w, "linear").numpy().tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"^sparse \(Ftrl\) cannot take a step with learning"):
        opts.Ftrl(0.0, name="sparse").apply_gradients([(tg.constant(1.0), tg.Variable(1.0))])


@pytest.mark.parametrize("case", ["adam", "rmsprop", "adagrad", "nadam", "ftrl", "lamb", "lion"])
def test_float32_variables_stay_float32_and_follow_the_formula(case):
    make, update = CASES[case]
    got = run(make(), dtype=tg.float32)
    np.testing.assert_allclose(got, by_hand(update), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_scalar_variables_work(case):
    make, update = CASES[case]
    opt = make()
    w = tg.Variable(np.float64(2.0))
    for _ in range(2):
        opt.apply_gradients([(tg.constant(np.float64(1.5)), w)])
    w_ref, state = np.array([2.0]), {}
    for t in (1, 2):
        w_ref = update(w_ref, np.array([1.5]), t, state)
    assert w.shape == () and w.dtype == tg.float64
    np.testing.assert_allclose(float(w), w_ref[0], rtol=1e-12)


# -- the epsilons, with exact numbers -----------------------------------------------------------
def test_adam_adds_epsilon_to_the_root_of_the_uncorrected_second_moment():
    w = tg.Variable(np.float64(1.0))
    opts.Adam(0.1, epsilon=1.0).apply_gradients([(tg.constant(np.float64(2.0)), w)])
    # m = 0.2, v = 0.004; PyTorch's placement would give 1 - 0.1 * 2 / (2 + 1)
    expected = 1 - 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9) * 0.2 / (math.sqrt(0.004) + 1.0)
    assert float(w) == pytest.approx(expected, rel=1e-15)
    assert float(w) == pytest.approx(0.9940516, abs=1e-7)


def test_rmsprop_and_adagrad_put_epsilon_inside_the_root():
    w = tg.Variable(np.float64(1.0))
    opts.RMSprop(0.1, epsilon=1.0).apply_gradients([(tg.constant(np.float64(2.0)), w)])
    assert float(w) == pytest.approx(1 - 0.1 * 2 / math.sqrt(0.4 + 1.0), rel=1e-15)
    w = tg.Variable(np.float64(1.0))
    opts.Adagrad(0.1, epsilon=1.0).apply_gradients([(tg.constant(np.float64(2.0)), w)])
    assert float(w) == pytest.approx(1 - 0.1 * 2 / math.sqrt(0.1 + 4 + 1.0), rel=1e-15)


def test_adamax_adds_epsilon_to_the_norm():
    w = tg.Variable(np.float64(1.0))
    opts.Adamax(0.1, epsilon=1.0).apply_gradients([(tg.constant(np.float64(2.0)), w)])
    assert float(w) == pytest.approx(1 - 0.1 / 0.1 * 0.2 / (2 + 1.0), rel=1e-15)


# -- Keras 3's constructor names and defaults --------------------------------------------------
KERAS_DEFAULTS = {
    opts.SGD: dict(learning_rate=0.01, momentum=0.0, nesterov=False),
    opts.Adam: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    opts.AdamW: dict(
        learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7
    ),
    opts.RMSprop: dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False),
    opts.Adagrad: dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7),
    opts.Adadelta: dict(learning_rate=0.001, rho=0.95, epsilon=1e-7),
    opts.Adamax: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    opts.Nadam: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    opts.Lion: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.99),
    opts.Ftrl: dict(
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
    ),
    opts.Lamb: dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}
SHARED_DEFAULTS = dict(
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
)


@pytest.mark.parametrize("cls", list(KERAS_DEFAULTS), ids=lambda c: c.__name__)
def test_constructor_defaults_are_keras_3s(cls):
    opt = cls()
    for name, value in {**SHARED_DEFAULTS, **KERAS_DEFAULTS[cls]}.items():
        assert getattr(opt, name) == value, name
    assert opt.weight_decay == (0.004 if cls is opts.AdamW else None)
    assert opt.name == cls.__name__


@pytest.mark.parametrize("cls", list(KERAS_DEFAULTS), ids=lambda c: c.__name__)
def test_constructor_arguments_keep_keras_3s_order(cls):
    names = list(KERAS_DEFAULTS[cls])
    flags = {"nesterov", "amsgrad", "centered"}
    values = [True if n in flags else 0.5 + i / 10 for i, n in enumerate(names)]
    if cls is opts.Ftrl:
        values[1] = -0.25  # learning_rate_power must not be positive
    opt = cls(*values)
    assert [getattr(opt, n) for n in names] == values


@pytest.mark.parametrize("cls", list(KERAS_DEFAULTS), ids=lambda c: c.__name__)
def test_get_config_rebuilds_the_same_optimizer(cls):
    opt = cls(0.5, clipvalue=2.0, use_ema=True, name="mine")
    config = opt.get_config()
    assert {**SHARED_DEFAULTS, **KERAS_DEFAULTS[cls]}.keys() <= config.keys()
    assert (config["learning_rate"], config["clipvalue"], config["name"]) == (0.5, 2.0, "mine")
    assert cls.from_config(config).get_config() == config


def test_options_are_stored_and_unknown_ones_refused():
    opt = opts.Adam(weight_decay=0.1, clipnorm=2.0, use_ema=True, ema_momentum=0.9, name="mine")
    assert (opt.weight_decay, opt.clipnorm, opt.use_ema, opt.ema_momentum) == (0.1, 2.0, True, 0.9)
    assert opt.name == "mine"
    with pytest.raises(TypeError, match="clip_norm"):
        opts.Adam(clip_norm=1.0)


# -- clipping ----------------------------------------------------------------------------------
def sgd_step(opt, grads, values):
    variables = [tg.Variable(np.asarray(v, dtype=np.float64)) for v in values]
    pairs = [(tg.constant(np.asarray(g, dtype=np.float64)), v) for g, v in zip(grads, variables)]
    opt.apply_gradients(pairs)
    return [v.numpy() for v in variables]


def test_clipnorm_clips_each_gradient_to_the_norm():
    a, b = sgd_step(opts.SGD(1.0, clipnorm=1.0), [[3.0, 4.0], [0.3, 0.4]], [[0.0, 0.0]] * 2)
    np.testing.assert_allclose(a, [-0.6, -0.8], rtol=1e-15)
    np.testing.assert_allclose(b, [-0.3, -0.4], rtol=1e-15)


def test_global_clipnorm_scales_all_gradients_together():
    a, b = sgd_step(opts.SGD(1.0, global_clipnorm=1.0), [[3.0, 4.0], [12.0]], [[0.0, 0.0], [0.0]])
    np.testing.assert_allclose(a, [-3 / 13, -4 / 13], rtol=1e-15)
    np.testing.assert_allclose(b, [-12 / 13], rtol=1e-15)
    small = sgd_step(opts.SGD(1.0, global_clipnorm=10.0), [[3.0, 4.0]], [[0.0, 0.0]])
    np.testing.assert_allclose(small[0], [-3.0, -4.0], rtol=1e-15)


def test_global_clipnorm_of_a_non_finite_norm_gives_nan_as_keras():
    (a,) = sgd_step(opts.SGD(1.0, global_clipnorm=1.0), [[np.inf, 1.0]], [[0.0, 0.0]])
    assert np.isnan(a).all()


@pytest.mark.parametrize("option", ["clipnorm", "global_clipnorm"])
def test_clipping_takes_complex_gradients_by_their_magnitude(option):
    """|100j| is 100, not sqrt(100j * 100j) (imaginary, whose real part 0 was taken)."""
    w, other = tg.Variable(np.array([0j])), tg.Variable(np.array([0j, 0j]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: no imaginary part dropped
        opts.SGD(1.0, **{option: 1.0}).apply_gradients(
            [(tg.constant(np.array([100j])), w), (tg.constant(np.array([0j, 0j])), other)]
        )
    assert w.numpy().tolist() == [-1j]
    w = tg.Variable(np.array([0j]))
    opts.SGD(1.0, **{option: 1.0}).apply_gradients([(tg.constant(np.array([3 + 4j])), w)])
    np.testing.assert_allclose(w.numpy(), [-0.6 - 0.8j], rtol=1e-15)


def test_clipvalue_clips_each_entry():
    (a,) = sgd_step(opts.SGD(1.0, clipvalue=0.5), [[3.0, -4.0, 0.25]], [[0.0, 0.0, 0.0]])
    np.testing.assert_allclose(a, [-0.5, 0.5, -0.25], rtol=1e-15)


def test_clipvalue_of_real_gradients_is_keras_clip_to_the_bit():
    g = np.random.default_rng(0).normal(size=50).astype(np.float32) * 3
    g[:3] = [np.inf, -np.inf, np.nan]
    w = tg.Variable(np.zeros(50, np.float32))
    opts.SGD(1.0, clipvalue=0.7).apply_gradients([(tg.constant(g), w)])
    np.testing.assert_array_equal(w.numpy(), 0 - np.clip(g, -0.7, 0.7))  # Keras: ops.clip


def test_clipvalue_caps_the_magnitude_of_complex_gradients_and_keeps_their_phase():
    """A complex clip (NumPy's compares lexicographically) would turn 10 + 0.5j into 1 + 0.5j
    and 0.5 + 10j into 0.5 + 1j: steps of different lengths, in new directions. Each entry of
    magnitude over clipvalue is scaled to it instead; real and imaginary entries come out at
    exactly ±clipvalue, as real ones do."""
    g = np.array([10 + 0.5j, 0.5 + 10j, -3 - 4j, 0.3 + 0.4j, 49j, -2.0, np.inf + 1j])
    g = np.append(g, [complex(np.inf, -np.inf), complex(np.nan, 0.0)])
    w = tg.Variable(np.zeros(g.size, complex))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning, no 0/0
        opts.SGD(1.0, clipvalue=1.0).apply_gradients([(tg.constant(g), w)])
    step = -w.numpy()
    np.testing.assert_allclose(step[:3], g[:3] / np.abs(g[:3]), rtol=1e-15)
    assert step[3] == 0.3 + 0.4j  # within the limit: unchanged
    assert step[4:7].tolist() == [1j, -1.0, 1.0]  # exact, as the real clip
    np.testing.assert_allclose(step[7], (1 - 1j) / np.sqrt(2), rtol=1e-15)
    assert np.isnan(step[8].real)


def test_clipping_happens_before_adams_update():
    w = tg.Variable(np.array([0.0, 0.0]))
    opts.Adam(0.1, epsilon=1.0, clipnorm=1.0).apply_gradients([(tg.constant([30.0, 40.0]), w)])
    g = np.array([0.6, 0.8])
    expected = -0.1 * math.sqrt(0.001) / 0.1 * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1.0)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-14)


def test_only_one_clipping_option_is_allowed():
    message = "only one of clipnorm, clipvalue and global_clipnorm can be set; got clipnorm=1.0, "
    with pytest.raises(ValueError, match=re.escape(message + "clipvalue=0.5")):
        opts.SGD(clipnorm=1.0, clipvalue=0.5)


# -- weight decay -----------------------------------------------------------------------------
def test_weight_decay_is_decoupled_and_applied_before_the_step():
    (w,) = sgd_step(opts.SGD(0.1, weight_decay=0.5), [[1.0, -1.0]], [[1.0, 2.0]])
    np.testing.assert_allclose(w, [1 - 0.05 - 0.1, 2 - 0.1 + 0.1], rtol=1e-15)


def test_weight_decay_uses_the_current_scheduled_learning_rate():
    opt = opts.SGD(lambda step: 0.1 * (step + 1), weight_decay=1.0)
    w = tg.Variable(np.float64(1.0))
    for _ in range(2):
        opt.apply_gradients([(tg.constant(np.float64(0.0)), w)])
    assert float(w) == pytest.approx(0.9 * 0.8, rel=1e-15)


def test_exclude_from_weight_decay_by_name_and_by_variable():
    opt = opts.SGD(0.1, weight_decay=0.5)
    kernel, bias = tg.Variable(np.float64(1.0), name="kernel"), tg.Variable(1.0, name="dense/bias")
    other = tg.Variable(np.float64(1.0), name="other")
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    zero = np.float64(0.0)
    opt.apply_gradients([(tg.constant(zero), kernel), (tg.constant(0.0), bias)])
    opt.apply_gradients([(tg.constant(zero), other)])
    assert (float(kernel), float(bias), float(other)) == (0.95, 1.0, 1.0)


# -- moving averages --------------------------------------------------------------------------
def ema_run(steps, **options):
    opt = opts.SGD(1.0, use_ema=True, ema_momentum=0.9, **options)
    w = tg.Variable(np.float64(0.0))
    for _ in range(steps):
        opt.apply_gradients([(tg.constant(np.float64(-1.0)), w)])
    return opt, w


def test_ema_starts_at_the_first_value_then_averages():
    opt, w = ema_run(3)  # w: 1, 2, 3; average: 1, 0.9 + 0.2, 0.99 + 0.3
    assert float(w) == 3.0
    assert float(opt.get_slot(w, "average")) == pytest.approx(1.29, rel=1e-15)
    opt.finalize_variable_values([w])
    assert float(w) == pytest.approx(1.29, rel=1e-15)


def test_ema_overwrite_frequency_replaces_the_weights_every_n_steps():
    opt, w = ema_run(2, ema_overwrite_frequency=2)
    assert float(w) == pytest.approx(1.1, rel=1e-15)
    opt.apply_gradients([(tg.constant(np.float64(-1.0)), w)])
    assert float(w) == pytest.approx(2.1, rel=1e-15)
    assert float(opt.get_slot(w, "average")) == pytest.approx(0.99 + 0.21, rel=1e-15)


def test_finalize_without_ema_changes_nothing():
    opt = opts.SGD(1.0)
    w = tg.Variable(1.0)
    opt.apply_gradients([(tg.constant(1.0), w)])
    opt.finalize_variable_values([w])
    assert float(w) == 0.0


def test_bad_ema_settings_raise():
    with pytest.raises(ValueError, match=re.escape("ema_momentum must lie in [0, 1], not 1.5")):
        opts.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency must be an integer >= 1"):
        opts.SGD(use_ema=True, ema_overwrite_frequency=0)


# -- gradient accumulation --------------------------------------------------------------------
def test_gradient_accumulation_applies_the_mean_every_n_calls():
    opt = opts.SGD(1.0, gradient_accumulation_steps=2)
    w = tg.Variable(np.float64(10.0))
    seen = []
    for g in (1.0, 3.0, 5.0, 7.0, 2.0):
        opt.apply_gradients([(tg.constant(np.float64(g)), w)])
        seen.append(float(w))
    assert seen == [10.0, 8.0, 8.0, 2.0, 2.0]
    assert int(opt.iterations) == 2  # real updates, as Keras counts them with accumulation


def test_gradient_accumulation_with_adam_counts_updates_for_bias_correction():
    accumulating = opts.Adam(0.1, gradient_accumulation_steps=3)
    w = tg.Variable(np.array([1.0, -1.0]))
    for g in ([1.0, 2.0], [2.0, 2.0], [3.0, -1.0]):
        accumulating.apply_gradients([(tg.constant(g), w)])
    plain = opts.Adam(0.1)
    v = tg.Variable(np.array([1.0, -1.0]))
    plain.apply_gradients([(tg.constant([2.0, 1.0]), v)])
    np.testing.assert_allclose(w.numpy(), v.numpy(), rtol=1e-15)


def test_gradient_accumulation_steps_must_be_at_least_two():
    message = "gradient_accumulation_steps must be an integer >= 2 (or None for no accumulation)"
    with pytest.raises(ValueError, match=re.escape(message + ", not 1")):
        opts.Adam(gradient_accumulation_steps=1)


def test_loss_scale_factor_divides_the_gradients():
    opt = opts.SGD(1.0, loss_scale_factor=4.0)
    (w,) = sgd_step(opt, [[8.0, -4.0]], [[0.0, 0.0]])
    np.testing.assert_allclose(w, [-2.0, 1.0], rtol=1e-15)
    assert float(opt.scale_loss(tg.constant(1.5))) == 6.0
    assert opts.SGD().scale_loss(1.5) == 1.5


# -- learning rates ---------------------------------------------------------------------------
def test_a_schedule_sets_each_steps_learning_rate():
    schedule = schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    opt = opts.SGD(schedule)
    w = tg.Variable(np.float64(0.0))
    assert opt.learning_rate == 0.5
    for _ in range(3):
        opt.apply_gradients([(tg.constant(np.float64(1.0)), w)])
    assert float(w) == -(0.5 + 0.25 + 0.125)
    assert opt.learning_rate == 0.0625


def test_adam_with_a_schedule_follows_the_formula():
    schedule = schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01])
    got = run(opts.Adam(schedule))
    want_lr = [schedule(t - 1) for t in range(1, STEPS + 1)]
    w, state, want = W0.copy(), {}, []
    for t, lr in enumerate(want_lr, start=1):
        w = adam(lr)(w, grad_of(w), t, state)
        want.append(w)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_zero_argument_callable_is_called_without_the_step_as_keras():
    rates = iter([0.5, 0.25])
    opt = opts.SGD(lambda: next(rates))
    (w,) = sgd_step(opt, [[1.0]], [[0.0]])
    assert w.tolist() == [-0.5]


def test_learning_rate_can_be_changed():
    opt = opts.SGD(0.1)
    opt.learning_rate = 0.5
    (w,) = sgd_step(opt, [[1.0]], [[0.0]])
    assert (w.tolist(), opt.learning_rate) == ([-0.5], 0.5)


def test_learning_rate_must_be_a_number_or_a_callable():
    with pytest.raises(TypeError, match="learning_rate must be a number, a LearningRateSchedule"):
        opts.Adam("0.01")


# -- state per variable, new variables, None gradients, bad pairs ------------------------------
def test_a_variable_joining_late_starts_as_a_fresh_one():
    opt = opts.Adam(0.1)
    a = tg.Variable(np.array([1.0, 2.0]))
    for _ in range(3):
        opt.apply_gradients([(tg.constant([1.0, 1.0]), a)])
    b = tg.Variable(W0)
    late = []
    for _ in range(3):
        with tg.GradientTape() as tape:
            loss = 0.5 * tg.sum(A * (b - C) ** 2) + tg.sum(a)
        opt.apply_gradients(zip(tape.gradient(loss, [a, b]), [a, b]))
        late.append(b.numpy())
    np.testing.assert_allclose(late, by_hand(adam(0.1), steps=3), rtol=1e-12)
    assert int(opt.iterations) == 6


def test_none_gradient_is_skipped_with_a_warning_and_gets_no_state():
    opt = opts.Adam(0.1)
    w, b = tg.Variable(1.0, name="w"), tg.Variable(1.0, name="b")
    with pytest.warns(
        UserWarning, match=re.escape("Adam: the gradient for variable 'w:0' is None")
    ):
        opt.apply_gradients([(None, w), (tg.constant(1.0), b)])
    assert float(w) == 1.0 and float(b) < 1.0
    with pytest.raises(KeyError, match="no slot 'momentum' for variable 'w:0'"):
        opt.get_slot(w, "momentum")


def test_all_none_gradients_raise_as_in_keras_and_change_nothing():
    """Keras 3 raises ValueError("No gradients provided for any variable.") when every gradient
    is None, and does nothing for an empty list."""
    opt = opts.Adam(0.1, use_ema=True)
    v = tg.Variable(1.0)
    message = (
        "No gradients provided for any variable: the gradient for 'Variable:0' is None, so "
        "nothing was updated; check that the loss depends on it (tape.explain(loss, variable), "
        "before tape.gradient or on a persistent tape, says why a gradient is None)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error says it all: no warning per variable
        with pytest.raises(ValueError, match=re.escape(message)):
            opt.apply_gradients([(None, v)])
    assert int(opt.iterations) == 0 and float(v) == 1.0 and len(opt.variables) == 1  # no slots
    assert int(opt.apply_gradients([])) == 0
    opt.apply_gradients([(tg.constant(1.0), v)])
    assert int(opt.iterations) == 1


def test_all_none_gradients_name_the_variables():
    many = [tg.Variable(0.0, name=f"v{i}") for i in range(7)]
    with pytest.raises(ValueError) as info:
        opts.SGD().apply_gradients([(None, v) for v in many[:2]])
    assert str(info.value).startswith(
        "No gradients provided for any variable: the gradients for 'v0:0', 'v1:0' are all None, "
        "so nothing was updated; check that the loss depends on them ("
    )
    with pytest.raises(ValueError, match=re.escape("'v3:0', 'v4:0' and 2 more are all None")):
        opts.SGD().apply_gradients([(None, v) for v in many])


def test_a_gradient_of_the_wrong_shape_names_both_and_changes_nothing():
    opt = opts.Adam(0.1)
    good, bad = tg.Variable([1.0, 2.0], name="good"), tg.Variable([1.0, 2.0], name="kernel")
    message = "the gradient of shape (3,) does not match variable 'kernel:0' of shape (2,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.apply_gradients([(tg.constant([1.0, 1.0]), good), (tg.constant([1.0, 2.0, 3.0]), bad)])
    assert good.numpy().tolist() == [1.0, 2.0]
    assert int(opt.iterations) == 0


def test_gradients_may_be_numpy_arrays():
    (w,) = sgd_step(opts.SGD(0.5), [[2.0]], [[1.0]])
    w2 = tg.Variable(np.array([1.0]))
    opts.SGD(0.5).apply_gradients([(np.array([2.0]), w2)])
    assert w.tolist() == w2.numpy().tolist() == [0.0]


def test_apply_takes_separate_lists():
    opt = opts.SGD(0.5)
    w = tg.Variable(1.0)
    assert opt.apply([tg.constant(2.0)], [w]) is opt.iterations
    assert float(w) == 0.0


def test_slots_variables_and_repr():
    opt = opts.Adam(0.1, amsgrad=True)
    w = tg.Variable([1.0, 2.0])
    opt.apply_gradients([(tg.constant([1.0, 1.0]), w)])
    assert opt.slot_names() == ["momentum", "velocity", "velocity_hat", "first_step"]
    np.testing.assert_allclose(opt.get_slot(w, "momentum").numpy(), [0.1, 0.1], rtol=1e-6)
    assert len(opt.variables) == 1 + 4
    assert repr(opt) == "<tg.optimizers.Adam 'Adam' iterations=1>"


def test_optimizer_steps_leave_recorded_values_alone():
    w = tg.Variable([1.0, 2.0])
    opt = opts.Adam(0.5)
    with tg.GradientTape(persistent=True) as tape:
        loss = tg.sum(w * w)
    opt.apply_gradients([(tape.gradient(loss, w), w)])
    assert tape.gradient(loss, w).numpy().tolist() == [2.0, 4.0]


# -- minimize ---------------------------------------------------------------------------------
def test_minimize_with_a_loss_function_matches_apply_gradients():
    opt = opts.Adam(0.1)
    w = tg.Variable(W0)
    trajectory = []
    for _ in range(3):
        opt.minimize(lambda: 0.5 * tg.sum(A * (w - C) ** 2), [w])
        trajectory.append(w.numpy())
    np.testing.assert_allclose(trajectory, by_hand(adam(0.1), steps=3), rtol=1e-12)


def test_minimize_takes_a_callable_var_list_and_a_tape():
    w = tg.Variable(np.float64(3.0))
    opts.SGD(0.25).minimize(lambda: w * w, lambda: [w])
    assert float(w) == 1.5
    with tg.GradientTape() as tape:
        loss = w * w
    opts.SGD(0.25).minimize(loss, [w], tape=tape)
    assert float(w) == 0.75


def test_minimize_with_a_loss_scale_factor_takes_the_same_step_as_without():
    """As Keras: minimize differentiates scale_loss(loss) and apply_gradients divides the
    gradients by loss_scale_factor again (it used to divide the unscaled gradient: 2.625)."""
    x = tg.Variable(np.float64(3.0))
    opts.SGD(0.25, loss_scale_factor=4.0).minimize(lambda: x * x, [x])
    assert float(x) == 1.5
    with tg.GradientTape() as tape:
        loss = x * x
    opts.SGD(0.25, loss_scale_factor=4.0).minimize(loss, [x], tape=tape)
    assert float(x) == 0.75
    w, v = tg.Variable(W0), tg.Variable(W0)
    scaled, plain = opts.Adam(0.1, loss_scale_factor=1024.0), opts.Adam(0.1)
    for _ in range(3):
        scaled.minimize(lambda: 0.5 * tg.sum(A * (w - C) ** 2), w)
        plain.minimize(lambda: 0.5 * tg.sum(A * (v - C) ** 2), v)
    assert w.numpy().tolist() == v.numpy().tolist()  # 1024 scales exactly


def test_minimize_seeds_the_backward_pass_with_the_loss_scale_factor():
    """The backward pass runs on the scaled loss (what loss scaling is for: small float16
    gradients that would underflow), here seen through a custom gradient."""
    seen = []

    @tg.custom_gradient
    def spy(x):
        def grad(upstream):
            seen.append(float(upstream))
            return upstream

        return tg.identity(x), grad

    x = tg.Variable(np.float64(1.0))
    opts.SGD(0.5, loss_scale_factor=8.0).minimize(lambda: spy(x * x), [x])
    assert seen == [8.0] and float(x) == 0.0


def test_minimize_watches_non_trainable_variables_it_is_given():
    w = tg.Variable(np.float64(3.0), trainable=False)
    opts.SGD(0.25).minimize(lambda: w * w, [w])
    assert float(w) == 1.5


def test_every_optimizer_fits_a_small_least_squares_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    optimizers = [
        opts.SGD(0.1, momentum=0.9),
        opts.Adam(0.1),
        opts.AdamW(0.1, weight_decay=1e-4),
        opts.RMSprop(0.01),
        opts.Adagrad(0.5),
        opts.Adamax(0.1),
        opts.Nadam(0.1),
        opts.Lion(0.02),
        opts.Lamb(0.05),
        opts.Adadelta(20.0),
        opts.Ftrl(1.0),
    ]
    for opt in optimizers:
        w, b = tg.Variable(np.zeros(3)), tg.Variable(np.float64(0.0))
        for _ in range(300):
            opt.minimize(lambda w=w, b=b: tg.mean((tg.constant(x) @ w + b - y) ** 2), [w, b])
        assert float(tg.mean((tg.constant(x) @ w + b - y) ** 2)) < 0.02, type(opt).__name__


# -- LBFGS ------------------------------------------------------------------------------------
Q = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -1.0, 2.0])


def quadratic(x):
    return 0.5 * tg.sum(x * (tg.constant(Q) @ x)) - tg.sum(tg.constant(B) * x)


def test_lbfgs_first_two_iterations_by_hand():
    x0 = np.array([1.0, 1.0, 1.0])
    x = tg.Variable(x0)
    opt = opts.LBFGS([x], lr=0.5, max_iter=2, max_eval=10)
    loss = opt.step(lambda: quadratic(x))
    assert float(loss) == pytest.approx(0.5 * x0 @ Q @ x0 - B @ x0, rel=1e-15)
    g0 = Q @ x0 - B  # iteration 1: steepest descent, step min(1, 1 / |g|_1) * lr
    d, t = -g0, min(1.0, 1.0 / np.abs(g0).sum()) * 0.5
    x1 = x0 + t * d
    g1 = Q @ x1 - B  # iteration 2: one correction pair in the two-loop recursion
    y, s = g1 - g0, t * d
    rho, h = 1 / (y @ s), (y @ s) / (y @ y)
    alpha = rho * (s @ -g1)
    r = h * (-g1 - alpha * y)
    r = r + (alpha - rho * (y @ r)) * s
    np.testing.assert_allclose(x.numpy(), x1 + 0.5 * r, rtol=1e-14, atol=1e-15)
    assert (opt.state["n_iter"], opt.state["func_evals"]) == (2, 2)


def test_lbfgs_with_strong_wolfe_solves_a_quadratic():
    x = tg.Variable(np.zeros(3))
    opt = opts.LBFGS([x], line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=0)
    opt.step(lambda: quadratic(x))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(Q, B), rtol=1e-9)
    assert opt.state["n_iter"] <= 10


def test_lbfgs_minimises_rosenbrock_over_several_variables():
    a, b = tg.Variable(np.float64(-1.2)), tg.Variable(np.float64(1.0))
    opt = opts.LBFGS([a, b], max_iter=100, tolerance_change=1e-14, line_search_fn="strong_wolfe")
    opt.step(lambda: (1 - a) ** 2 + 100 * (b - a**2) ** 2)
    np.testing.assert_allclose([float(a), float(b)], [1.0, 1.0], rtol=1e-8)
    assert opt.state["func_evals"] < 80


def test_lbfgs_stops_at_once_when_the_gradient_is_small():
    x = tg.Variable(np.linalg.solve(Q, B))
    opt = opts.LBFGS([x])
    opt.step(lambda: quadratic(x))
    assert (opt.state["n_iter"], opt.state["func_evals"]) == (0, 1)


def test_lbfgs_respects_max_eval():
    x = tg.Variable(np.array([-1.2, 1.0]))
    opt = opts.LBFGS([x], max_iter=50, max_eval=7, lr=0.01)
    opt.step(lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)
    assert opt.state["func_evals"] == 7


# torch.optim.LBFGS (torch 2.11, which has pytorch/pytorch#135026: the line search gets
# max_ls = max_eval - evaluations so far) on sum((x - [1, -2])**2) + (x0 * x1)**2 from 0, float64:
# (closure calls, n_iter, func_evals, x) after one step
TORCH_LBFGS_MAX_EVAL = [
    (dict(lr=1e-6, max_iter=2), (3, 1, 3), [3.333333333333333e-06, -6.666666666666666e-06]),
    (
        dict(lr=1e-6, max_iter=4, max_eval=5),
        (6, 1, 6),
        [0.0033333333333333327, -0.006666666666666665],
    ),
    (
        dict(lr=1e-6, max_iter=3, max_eval=1),
        (2, 1, 2),
        [3.333333333333333e-07, -6.666666666666666e-07],
    ),
    (dict(max_iter=10, max_eval=4), (4, 3, 4), [0.3152094454269859, -1.5475670759786884]),
]


@pytest.mark.parametrize("options, counts, x_torch", TORCH_LBFGS_MAX_EVAL)
def test_lbfgs_line_search_stays_within_max_eval_as_pytorchs(options, counts, x_torch):
    """The line search used to get 25 evaluations whatever max_eval said (8 closure calls for
    max_eval=2 where PyTorch makes 3), and went much further along the first direction."""
    x, calls = tg.Variable(np.zeros(2)), []

    def closure():
        calls.append(1)
        return tg.sum((x - tg.constant([1.0, -2.0])) ** 2) + (x[0] * x[1]) ** 2

    opt = opts.LBFGS([x], line_search_fn="strong_wolfe", **options)
    opt.step(closure)
    assert (len(calls), opt.state["n_iter"], opt.state["func_evals"]) == counts
    np.testing.assert_allclose(x.numpy(), x_torch, rtol=1e-14)


def test_lbfgs_line_search_keeps_its_own_tolerance_change_as_pytorchs():
    """PyTorch's tolerance_change stops the iteration but never reaches the line search (which
    keeps 1e-9): with tolerance_change=0.1 passed on, tapegrad made 30 calls to PyTorch's 28."""
    x0 = np.array([-1.2, 1.0, -0.5, 0.8, 1.3])
    x, calls = tg.Variable(x0), []

    def closure():
        calls.append(1)
        return tg.sum((1 - x[:-1]) ** 2) + 100 * tg.sum((x[1:] - x[:-1] ** 2) ** 2)

    opt = opts.LBFGS([x], lr=30.0, tolerance_change=0.1, line_search_fn="strong_wolfe")
    losses = [float(opt.step(closure)) for _ in range(3)]
    # torch.optim.LBFGS, the same problem and options, float64
    x_torch = [
        -0.3381965135332976,
        0.12334879555486691,
        0.02894610940553291,
        0.016314094405895208,
        -0.009323193493091353,
    ]
    assert (len(calls), opt.state["n_iter"], opt.state["func_evals"]) == (28, 9, 28)
    np.testing.assert_allclose(x.numpy(), x_torch, rtol=1e-10)
    np.testing.assert_allclose(losses, [325.3, 4.529921807598739, 4.529921807598739], rtol=1e-12)


def test_lbfgs_bad_input():
    x = tg.Variable([1.0])
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        opts.LBFGS([x], line_search_fn="armijo")
    with pytest.raises(TypeError, match="LBFGS optimizes tg.Variable objects, not Tensor"):
        opts.LBFGS([tg.constant(1.0)])
    with pytest.raises(TypeError, match="the LBFGS closure must return the loss"):
        opts.LBFGS([x]).step(lambda: 1.0)


def test_no_warnings_in_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(opts.Nadam(0.1, use_ema=True, clipnorm=1.0, weight_decay=0.01))


def test_lbfgs_has_pytorchs_defaults_and_keeps_a_bounded_history():
    x = tg.Variable(np.array([-1.2, 1.0, 0.3]))
    opt = opts.LBFGS([x], history_size=2)
    defaults = (opt.lr, opt.max_iter, opt.max_eval, opt.tolerance_grad, opt.tolerance_change)
    assert defaults == (1.0, 20, 25, 1e-7, 1e-9)
    assert (opts.LBFGS([x]).history_size, opts.LBFGS([x]).line_search_fn) == (100, None)
    opt.step(lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + x[2] ** 2)
    assert opt.state["n_iter"] > 3 and len(opt.state["old_dirs"]) == 2


def test_lbfgs_on_float32_variables_stays_float32():
    x = tg.Variable([3.0, -2.0])
    opt = opts.LBFGS([x], line_search_fn="strong_wolfe")
    opt.step(lambda: tg.sum((x - tg.constant([1.0, 2.0])) ** 2))
    assert x.dtype == tg.float32
    np.testing.assert_allclose(x.numpy(), [1.0, 2.0], rtol=1e-5)


def test_lamb_takes_complex_norms_as_magnitudes():
    import warnings

    v = tg.Variable(np.array([1 + 1j, 2 - 1j]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: no imaginary part dropped
        opts.Lamb(0.1).apply_gradients([(tg.constant(np.array([0.5 + 0.1j, 0.2j])), v)])
    assert v.dtype == tg.complex128


# -- complex variables ---------------------------------------------------------------------------
COMPLEX_CASES = {
    "adam-amsgrad": lambda: opts.Adam(0.1, amsgrad=True),
    "adamw": lambda: opts.AdamW(0.1, weight_decay=0.1),
    "nadam": lambda: opts.Nadam(0.1),
    "adamax": lambda: opts.Adamax(0.1),
    "rmsprop-both": lambda: opts.RMSprop(0.1, momentum=0.5, centered=True),
    "adagrad": lambda: opts.Adagrad(0.1),
    "adadelta": lambda: opts.Adadelta(1.0),
    "lamb": lambda: opts.Lamb(0.1),
    "ftrl": lambda: opts.Ftrl(0.1),
    # |z| soft-thresholded by l1 and |g| capped at clipvalue, phases kept
    "ftrl-l1": lambda: opts.Ftrl(0.1, l1_regularization_strength=0.5),
    "ftrl-l1-shrinkage": lambda: opts.Ftrl(
        0.1, l1_regularization_strength=0.3, l2_shrinkage_regularization_strength=0.5, beta=0.3
    ),
    "sgd-clipvalue": lambda: opts.SGD(0.1, clipvalue=0.5),
    "adam-clipvalue": lambda: opts.Adam(0.1, clipvalue=0.5),
}


@pytest.mark.parametrize("case", list(COMPLEX_CASES))
def test_complex_steps_turn_with_the_gradient(case):
    """Second moments average |g|^2 = g * conj(g) (as optax's do), so turning every gradient
    by 1j turns every step by 1j: an imaginary gradient moves only the imaginary part, exactly
    as the real gradient moves the real part (g * g would make that second moment negative)."""
    grads = np.random.default_rng(0).normal(size=(STEPS, 3))
    real, turned = tg.Variable(W0), tg.Variable(1j * W0)
    real_opt, turned_opt = COMPLEX_CASES[case](), COMPLEX_CASES[case]()
    for g in grads:
        real_opt.apply_gradients([(tg.constant(g), real)])
        turned_opt.apply_gradients([(tg.constant(1j * g), turned)])
        np.testing.assert_allclose(turned.numpy(), 1j * real.numpy(), rtol=1e-14, atol=0)
    assert turned.dtype == tg.complex128
    assert all(v.dtype == tg.complex128 for v in turned_opt.variables[1:] if v.ndim)


@pytest.mark.parametrize(
    "make",
    [
        lambda: opts.Adam(0.05),
        lambda: opts.Nadam(0.05),
        lambda: opts.RMSprop(0.02),
        lambda: opts.Adagrad(0.5),
        lambda: opts.Adadelta(30.0),
        lambda: opts.Lamb(schedules.ExponentialDecay(0.2, 20, 0.5)),
    ],
    ids=["Adam", "Nadam", "RMSprop", "Adagrad", "Adadelta", "Lamb"],
)
def test_second_moment_optimizers_minimise_a_complex_least_squares_problem(make):
    target = np.array([1 + 1j, -2 + 0.5j])
    w, t, opt = tg.Variable(np.zeros(2, dtype=complex)), tg.constant(target), make()
    for _ in range(300):
        with tg.GradientTape() as tape:
            loss = tg.sum(tg.abs(w - t) ** 2)
        opt.apply_gradients([(tape.gradient(loss, w), w)])
    np.testing.assert_allclose(w.numpy(), target, atol=1e-4)


# -- NumPy numbers as options --------------------------------------------------------------------
NUMPY_OPTIONS = {
    "sgd-lr": lambda f: opts.SGD(f(0.1), momentum=0.9),
    "sgd-momentum": lambda f: opts.SGD(0.1, momentum=f(0.9)),
    "sgd-schedule": lambda f: opts.SGD(lambda step: f(0.1) / (step + 1), momentum=0.9),
    "sgd-callable": lambda f: opts.SGD(lambda: f(0.1), momentum=0.9),
    "sgd-ema": lambda f: opts.SGD(0.1, use_ema=True, ema_momentum=f(0.9)),
    "rmsprop": lambda f: opts.RMSprop(f(0.1), rho=f(0.8), momentum=f(0.9), centered=True),
    "ftrl": lambda f: opts.Ftrl(f(0.1), l2_shrinkage_regularization_strength=f(0.05)),
    "adam": lambda f: opts.Adam(f(0.1), beta_1=f(0.9), beta_2=f(0.99), epsilon=f(1e-3)),
    "adamw-accumulation": lambda f: opts.AdamW(
        f(0.1), weight_decay=f(0.1), loss_scale_factor=f(128.0), gradient_accumulation_steps=2
    ),
    "nadam": lambda f: opts.Nadam(f(0.1), beta_1=f(0.9)),
    "lamb": lambda f: opts.Lamb(f(0.1), beta_2=f(0.9)),
    "adamax": lambda f: opts.Adamax(f(0.1), beta_1=f(0.9), beta_2=f(0.99)),
    "adagrad": lambda f: opts.Adagrad(f(0.1), initial_accumulator_value=f(0.5)),
    "adadelta": lambda f: opts.Adadelta(f(1.0), rho=f(0.9)),
    "lion": lambda f: opts.Lion(f(0.1), beta_1=f(0.5), beta_2=f(0.9)),
}


@pytest.mark.parametrize("dtype", [tg.float32, tg.float16])
@pytest.mark.parametrize("case", list(NUMPY_OPTIONS))
def test_numpy_number_options_keep_every_slot_in_the_variables_dtype(case, dtype):
    """NumPy 2 promotes float32 * np.float64 to float64 (a NumPy scalar is "strong", a Python
    float "weak"): options are kept as Python numbers, so the steps are those of Python floats
    and every slot keeps its variable's dtype, as Keras casts options to it."""
    numpy_type = np.float64 if dtype == tg.float32 else np.float32
    steps = {}
    for kind, number in (("python", float), ("numpy", numpy_type)):
        w, opt = tg.Variable([1.0, -2.0], dtype=dtype), NUMPY_OPTIONS[case](number)
        for g in ([1.0, 0.5], [-0.5, 2.0], [0.25, 0.25], [1.0, -1.0]):
            opt.apply_gradients([(tg.constant(g, dtype=dtype), w)])
        slots = {n: opt.get_slot(w, n) for n in opt.slot_names() if n != "first_step"}
        assert {n: v.dtype for n, v in slots.items()} == dict.fromkeys(slots, dtype), kind
        steps[kind] = [w.numpy()] + [v.numpy() for v in slots.values()]
    for got, want in zip(steps["numpy"], steps["python"]):
        np.testing.assert_array_equal(got, want)


def test_numpy_number_options_are_kept_as_python_numbers():
    opt = opts.Adam(np.float64(0.1), beta_1=np.float32(0.5), clipnorm=np.int64(2))
    assert (type(opt.learning_rate), type(opt.beta_1), type(opt.clipnorm)) == (float, float, int)
    assert (opt.learning_rate, opt.beta_1, opt.clipnorm) == (0.1, 0.5, 2)
    assert type(opt.get_config()["learning_rate"]) is float
    opt.beta_2 = np.float64(0.9)  # set later, too
    assert type(opt.beta_2) is float
    assert type(opts.SGD(lambda step: np.float64(0.5)).learning_rate) is float
    assert type(opts.SGD(lambda: np.array(0.5)).learning_rate) is float


def test_a_0d_numpy_array_option_keeps_the_slots_dtype():
    w = tg.Variable([1.0])
    optimizer = opts.Adam(0.1, beta_1=np.array(0.9))
    optimizer.apply_gradients([(tg.constant([1.0]), w)])
    assert optimizer.get_slot(w, "momentum").dtype == tg.float32
    assert type(optimizer.beta_1) is float


# -- options out of range or of the wrong type -----------------------------------------------------
NO_CLIP = "(or None for no clipping)"
ZERO_GRADIENTS = ": it keeps the step finite where the gradients are zero"
BAD_OPTIONS = [
    (lambda: opts.Adam(0.1, beta_1=1.5), ValueError, "beta_1 must lie in [0, 1), not 1.5"),
    (lambda: opts.Adam(0.1, beta_1=1.0), ValueError, "beta_1 must lie in [0, 1), not 1.0"),
    (lambda: opts.Adam(0.1, beta_2=-0.5), ValueError, "beta_2 must lie in [0, 1), not -0.5"),
    (lambda: opts.Adam(0.1, epsilon=0), ValueError, "epsilon must be > 0, not 0" + ZERO_GRADIENTS),
    (lambda: opts.AdamW(0.1, beta_2=1.0), ValueError, "beta_2 must lie in [0, 1), not 1.0"),
    (lambda: opts.Adamax(0.1, beta_1=2), ValueError, "beta_1 must lie in [0, 1), not 2"),
    (lambda: opts.Nadam(0.1, beta_1=2), ValueError, "beta_1 must lie in [0, 1), not 2"),
    (lambda: opts.Lamb(0.1, beta_1=2), ValueError, "beta_1 must lie in [0, 1), not 2"),
    (
        lambda: opts.Lamb(0.1, epsilon=-1e-7),
        ValueError,
        "epsilon must be > 0, not -1e-07" + ZERO_GRADIENTS,
    ),
    (lambda: opts.RMSprop(0.1, rho=1.5), ValueError, "rho must lie in [0, 1], not 1.5"),
    (lambda: opts.RMSprop(0.1, momentum=-0.5), ValueError, "momentum must lie in [0, 1], not -0.5"),
    (lambda: opts.Adadelta(0.1, rho=-1), ValueError, "rho must lie in [0, 1], not -1"),
    (
        lambda: opts.Adagrad(0.1, initial_accumulator_value=-1),
        ValueError,
        "initial_accumulator_value must be >= 0, not -1",
    ),
    (lambda: opts.Lion(0.1, beta_2=1.5), ValueError, "beta_2 must lie in [0, 1], not 1.5"),
    (lambda: opts.Ftrl(0.1, beta=-1.0), ValueError, "beta must be >= 0, not -1.0"),
    (
        lambda: opts.Ftrl(0.1, learning_rate_power=0.5),
        ValueError,
        "learning_rate_power must be <= 0, not 0.5",
    ),
    (
        lambda: opts.Ftrl(0.1, l1_regularization_strength=-0.1),
        ValueError,
        "l1_regularization_strength must be >= 0, not -0.1",
    ),
    (
        lambda: opts.SGD(0.1, weight_decay=-1.0),
        ValueError,
        "weight_decay must be >= 0 (or None for no weight decay), not -1.0",
    ),
    (
        lambda: opts.SGD(0.1, loss_scale_factor=0),
        ValueError,
        "loss_scale_factor must be > 0 (or None for no scaling), not 0",
    ),
    (
        lambda: opts.SGD(0.1, loss_scale_factor=math.inf),
        ValueError,
        "loss_scale_factor must be finite (or None for no scaling), not inf",
    ),
    (lambda: opts.SGD(0.1, clipnorm=-1.0), ValueError, f"clipnorm must be > 0 {NO_CLIP}, not -1.0"),
    (lambda: opts.SGD(0.1, clipnorm=0.0), ValueError, f"clipnorm must be > 0 {NO_CLIP}, not 0.0"),
    (lambda: opts.SGD(0.1, clipvalue=-1), ValueError, f"clipvalue must be > 0 {NO_CLIP}, not -1"),
    (
        lambda: opts.SGD(0.1, global_clipnorm=0),
        ValueError,
        f"global_clipnorm must be > 0 {NO_CLIP}, not 0",
    ),
    (
        lambda: opts.SGD(0.1, clipnorm="1"),
        TypeError,
        f"clipnorm must be a real number {NO_CLIP}, not str '1'",
    ),
    (
        lambda: opts.Adam(use_ema=True, ema_momentum="a"),
        TypeError,
        "ema_momentum must be a real number, not str 'a'",
    ),
    (
        lambda: opts.SGD(use_ema=True, ema_overwrite_frequency=0),
        ValueError,
        "ema_overwrite_frequency must be an integer >= 1 (or None for no overwriting), not 0",
    ),
    (
        lambda: opts.SGD(gradient_accumulation_steps=2.0),
        TypeError,
        "gradient_accumulation_steps must be an integer (or None for no accumulation), not "
        "float 2.0",
    ),
    (lambda: opts.Adam(amsgrad=1), TypeError, "amsgrad must be True or False, not int 1"),
    (
        lambda: opts.RMSprop(centered="no"),
        TypeError,
        "centered must be True or False, not str 'no'",
    ),
    (lambda: opts.SGD(use_ema="yes"), TypeError, "use_ema must be True or False, not str 'yes'"),
    (lambda: opts.Adam(beta_1=True), TypeError, "beta_1 must be a real number, not bool True"),
]


@pytest.mark.parametrize("make, error, message", BAD_OPTIONS)
def test_options_out_of_range_or_of_the_wrong_type_are_refused(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert type(caught.value) is error
    assert str(caught.value) == message


def test_options_set_after_construction_are_checked_too():
    opt = opts.Adam(0.1)
    with pytest.raises(ValueError) as caught:
        opt.beta_1 = 1
    assert str(caught.value) == "beta_1 must lie in [0, 1), not 1"
    with pytest.raises(ValueError) as caught:
        opt.clipnorm = -1.0
    assert str(caught.value) == "clipnorm must be > 0 (or None for no clipping), not -1.0"
    with pytest.raises(TypeError) as caught:
        opt.amsgrad = "yes"
    assert str(caught.value) == "amsgrad must be True or False, not str 'yes'"
    assert (opt.beta_1, opt.clipnorm, opt.amsgrad) == (0.9, None, False)  # left as they were
    opt.beta_1, opt.clipnorm = np.float32(0.5), np.int64(2)
    assert (opt.beta_1, opt.clipnorm) == (0.5, 2)


def test_numpy_integers_and_0d_arrays_are_taken_wherever_python_numbers_are():
    opt = opts.SGD(0.1, gradient_accumulation_steps=np.int64(2))
    assert (type(opt.gradient_accumulation_steps), opt.gradient_accumulation_steps) == (int, 2)
    opt = opts.SGD(np.array(0.1), use_ema=np.bool_(True), ema_overwrite_frequency=np.array(3))
    assert (opt.learning_rate, opt.use_ema, opt.ema_overwrite_frequency) == (0.1, True, 3)
    lbfgs = opts.LBFGS([tg.Variable([1.0])], max_iter=np.int32(4), history_size=np.array(5))
    assert (lbfgs.max_iter, lbfgs.max_eval, lbfgs.history_size) == (4, 5, 5)


# -- learning rates ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, error, message",
    [
        (-0.1, ValueError, "learning_rate must be >= 0, not -0.1"),
        (math.nan, ValueError, "learning_rate must be finite, not nan"),
        (math.inf, ValueError, "learning_rate must be finite, not inf"),
        (tg.constant(-0.5), ValueError, "learning_rate must be >= 0, not -0.5"),
    ],
)
def test_a_negative_or_non_finite_learning_rate_is_refused(value, error, message):
    with pytest.raises(error) as caught:
        opts.SGD(value)
    assert str(caught.value) == message
    opt = opts.SGD(0.1)
    with pytest.raises(error) as caught:
        opt.learning_rate = value
    assert str(caught.value) == message
    assert opt.learning_rate == 0.1


@pytest.mark.parametrize(
    "rate, error, message",
    [
        (
            lambda step: [0.1, 0.2],
            TypeError,
            "the learning rate from <lambda> at step 0 must be a real number, not list [0.1, 0.2]",
        ),
        (
            lambda: None,
            TypeError,
            "the learning rate from <lambda> must be a real number, not None",
        ),
        (
            lambda: 0.1 + 0.1j,
            TypeError,
            "the learning rate from <lambda> must be a real number, not complex (0.1+0.1j)",
        ),
        (
            lambda step: np.float64("nan"),
            ValueError,
            "the learning rate from <lambda> at step 0 must be finite, not nan",
        ),
        (
            lambda step: tg.constant(-1.0),
            ValueError,
            "the learning rate from <lambda> at step 0 must be >= 0, not -1.0",
        ),
    ],
)
def test_the_learning_rate_a_callable_returns_is_checked_and_nothing_changes(rate, error, message):
    w = tg.Variable([1.0, 2.0])
    opt = opts.SGD(rate)
    with pytest.raises(error) as caught:
        opt.apply_gradients([(tg.ones(2), w)])
    assert str(caught.value) == message
    assert w.numpy().tolist() == [1.0, 2.0] and int(opt.iterations) == 0


def test_a_learning_rate_variable_is_checked_each_time_it_is_read():
    rate = tg.Variable(0.5)
    opt, w = opts.SGD(rate), tg.Variable(1.0)
    opt.apply_gradients([(tg.constant(1.0), w)])
    rate.assign(-0.5)
    with pytest.raises(ValueError) as caught:
        opt.apply_gradients([(tg.constant(1.0), w)])
    assert str(caught.value) == "learning_rate must be >= 0, not -0.5"
    assert float(w) == 0.5


def test_a_schedule_that_goes_negative_is_named_with_its_step():
    class Falling(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.5 - step

    opt, w = opts.SGD(Falling()), tg.Variable(1.0)
    opt.apply_gradients([(tg.constant(1.0), w)])
    with pytest.raises(ValueError) as caught:
        opt.apply_gradients([(tg.constant(1.0), w)])
    assert str(caught.value) == "the learning rate from Falling at step 1 must be >= 0, not -0.5"


# -- variables and gradients an optimizer cannot use ---------------------------------------------
INTEGER_MESSAGE = (
    "{owner} cannot update variable 'count:0' of dtype {dtype}: it updates floating-point or "
    "complex variables only, as each step would be truncated to a whole number; create the "
    "variable with a float dtype, e.g. tg.Variable(value, dtype=tg.float32)"
)


@pytest.mark.parametrize("cls", [opts.SGD, opts.Adam, opts.Ftrl], ids=lambda c: c.__name__)
@pytest.mark.parametrize("value, dtype", [(5, "int32"), (True, "bool")])
def test_integer_and_bool_variables_are_refused_and_nothing_changes(cls, value, dtype):
    good, count = tg.Variable(1.0), tg.Variable(value, name="count")
    opt = cls(0.1)
    with pytest.raises(TypeError) as caught:
        opt.apply_gradients([(tg.constant(1.0), good), (tg.constant(3.0), count)])
    assert str(caught.value) == INTEGER_MESSAGE.format(owner=cls.__name__, dtype=dtype)
    assert (float(good), count.numpy().item(), int(opt.iterations)) == (1.0, value, 0)
    assert len(opt.variables) == 1  # no slots for the good variable either
    with pytest.raises(TypeError) as caught:
        opt.build([count])
    assert str(caught.value) == INTEGER_MESSAGE.format(owner=cls.__name__, dtype=dtype)


def test_a_complex_gradient_for_a_real_variable_is_refused():
    w = tg.Variable([1.0, 2.0], name="w")
    with pytest.raises(TypeError) as caught:
        opts.SGD(0.1).apply_gradients([(tg.constant([1 + 1j, 1j]), w)])
    assert str(caught.value) == (
        "SGD: the gradient for variable 'w:0' is complex (complex64) but the variable is real "
        "(float32): the step would lose its imaginary part; pass tg.real(gradient), or make the "
        "variable complex"
    )
    assert w.numpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "grad, shown",
    [("a", "str 'a'"), (tg.constant([True, False]), "Tensor of shape (2,) and dtype bool")],
)
def test_a_gradient_that_is_not_numbers_raises_type_error(grad, shown):
    w = tg.Variable([1.0, 2.0], name="w")
    with pytest.raises(TypeError) as caught:
        opts.Adam(0.1).apply_gradients([(grad, w)])
    assert str(caught.value) == (
        "Adam: the gradient for variable 'w:0' must be a tensor or an array of numbers, not "
        + shown
    )


@pytest.mark.parametrize(
    "given, shown", [(None, "None"), (tg.ones(2), "Tensor of shape (2,) and dtype float32")]
)
def test_apply_gradients_needs_pairs(given, shown):
    with pytest.raises(TypeError) as caught:
        opts.SGD().apply_gradients(given)
    assert str(caught.value) == (
        f"apply_gradients takes (gradient, variable) pairs, such as zip(grads, variables), not "
        f"{shown}"
    )


def test_the_same_variable_twice_in_one_step_is_refused():
    w = tg.Variable([1.0, 2.0], name="w")
    opt = opts.Adam(0.1)
    message = (
        "variable 'w:0' appears twice in one Adam step: sum its gradients first and pass it once"
    )
    for pairs in ([(tg.ones(2), w), (tg.ones(2), w)], [(None, w), (tg.ones(2), w)]):
        with pytest.raises(ValueError) as caught:
            opt.apply_gradients(pairs)
        assert str(caught.value) == message
    with pytest.raises(ValueError) as caught:
        opt.apply([tg.ones(2), tg.ones(2)], [w, w])
    assert str(caught.value) == message
    assert w.numpy().tolist() == [1.0, 2.0] and int(opt.iterations) == 0


def test_apply_needs_as_many_gradients_as_variables():
    w, v = tg.Variable([1.0, 2.0]), tg.Variable([1.0])
    opt = opts.SGD(0.1)
    with pytest.raises(ValueError) as caught:
        opt.apply([tg.ones(2), tg.ones(2)], [w])
    assert str(caught.value) == (
        "SGD.apply got 2 gradient(s) for 1 variable(s): pass one gradient per variable, in the "
        "same order"
    )
    with pytest.raises(ValueError) as caught:
        opt.apply([tg.ones(2)], [w, v])
    assert str(caught.value) == (
        "SGD.apply got 1 gradient(s) for 2 variable(s): pass one gradient per variable, in the "
        "same order"
    )
    with pytest.raises(TypeError) as caught:
        opt.apply(tg.ones(2), [w])
    assert str(caught.value) == (
        "SGD.apply takes a list of gradients, not Tensor of shape (2,) and dtype float32: for "
        "one variable, pass [gradient] and [variable]"
    )
    assert w.numpy().tolist() == [1.0, 2.0] and int(opt.iterations) == 0


def test_minimize_needs_a_callable_or_a_tape_and_takes_a_single_variable():
    w = tg.Variable(np.float64(3.0))
    with pytest.raises(TypeError) as caught:
        opts.SGD(0.25).minimize(w * w, [w])
    assert str(caught.value) == (
        "SGD.minimize needs the loss as a callable that computes it (such as "
        "lambda: loss_fn(model(x), y)), or the loss tensor together with the tape that recorded "
        "it (tape=tape); got Tensor without a tape"
    )
    opts.SGD(0.25).minimize(lambda: w * w, w)
    assert float(w) == 1.5


# -- LBFGS options -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"history_size": -1}, ValueError, "history_size must be an integer >= 1, not -1"),
        ({"history_size": 0}, ValueError, "history_size must be an integer >= 1, not 0"),
        ({"history_size": 2.0}, TypeError, "history_size must be an integer, not float 2.0"),
        ({"max_iter": -3}, ValueError, "max_iter must be an integer >= 1, not -3"),
        ({"max_eval": 0}, ValueError, "max_eval must be an integer >= 1, not 0"),
        ({"lr": -1.0}, ValueError, "lr must be > 0, not -1.0"),
        ({"lr": math.nan}, ValueError, "lr must be finite, not nan"),
        ({"lr": "1"}, TypeError, "lr must be a real number, not str '1'"),
        ({"tolerance_grad": -1e-7}, ValueError, "tolerance_grad must be >= 0, not -1e-07"),
        ({"tolerance_change": -1}, ValueError, "tolerance_change must be >= 0, not -1"),
    ],
)
def test_lbfgs_options_are_checked(options, error, message):
    x = tg.Variable([1.5, -0.5], dtype=tg.float64)
    with pytest.raises(error) as caught:
        opts.LBFGS([x], **options)
    assert str(caught.value) == message
    opt = opts.LBFGS([x])
    name, value = next(iter(options.items()))
    with pytest.raises(error) as caught:
        setattr(opt, name, value)
    assert str(caught.value) == message


def test_lbfgs_refuses_a_variable_twice_and_integer_or_complex_variables():
    x = tg.Variable([1.5, -0.5], name="x")
    with pytest.raises(ValueError) as caught:
        opts.LBFGS([x, x])
    assert str(caught.value) == "LBFGS got variable 'x:0' twice: pass each variable once"
    with pytest.raises(TypeError) as caught:
        opts.LBFGS([tg.Variable([1, 2], name="count")])
    assert str(caught.value) == (
        "LBFGS cannot update variable 'count:0' of dtype int32: it updates real floating-point "
        "variables only, as each step would be truncated to a whole number; create the variable "
        "with a float dtype, e.g. tg.Variable(value, dtype=tg.float32)"
    )
    with pytest.raises(TypeError) as caught:
        opts.LBFGS([tg.Variable([1j], name="z")])
    assert str(caught.value) == (
        "LBFGS cannot update variable 'z:0' of dtype complex64: it needs real floating-point "
        "variables; optimize the real and imaginary parts as two real variables"
    )


def test_lbfgs_history_shrinks_when_history_size_is_lowered():
    x = tg.Variable(np.array([-1.2, 1.0, 0.3]))
    opt = opts.LBFGS([x], history_size=5)

    def closure():
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + x[2] ** 2

    opt.step(closure)
    assert len(opt.state["old_dirs"]) == 5
    opt.history_size = 2
    opt.step(closure)
    assert len(opt.state["old_dirs"]) == len(opt.state["ro"]) == 2


def test_options_take_one_element_tensors_as_keras_does():
    # "a float value or a constant float tensor": refused for a while by the option checks
    assert tg.optimizers.Adam(beta_1=tg.constant(0.5)).beta_1 == 0.5
    assert tg.optimizers.SGD(momentum=np.array(0.5)).momentum == 0.5
    decay = tg.optimizers.schedules.ExponentialDecay(tg.constant(0.5), 10, 0.5)
    assert decay(10) == 0.25
    piecewise = tg.optimizers.schedules.PiecewiseConstantDecay([10], [tg.constant(1.0), 0.5])
    assert piecewise(15) == 0.5
    with pytest.raises(ValueError) as caught:
        tg.optimizers.Adam(beta_1=tg.constant(1.5))
    assert str(caught.value) == "beta_1 must lie in [0, 1), not 1.5"


def test_adamax_takes_beta_2_of_one_a_running_maximum():
    assert tg.optimizers.Adamax(beta_2=1.0).beta_2 == 1.0
    with pytest.raises(ValueError):
        tg.optimizers.Adam(beta_2=1.0)


def test_minimize_asks_a_callable_var_list_after_the_loss_as_keras_does():
    # it was asked first: an unbuilt model had no variables yet, and no step was taken
    model = tg.nn.Sequential([tg.nn.Dense(2, kernel_initializer="zeros", bias_initializer="zeros")])
    x = tg.constant(np.ones((3, 4), np.float32))
    opt = tg.optimizers.SGD(0.1)
    opt.minimize(lambda: tg.sum(model(x) + 1.0), lambda: model.trainable_variables)
    assert int(opt.iterations) == 1
    assert model.trainable_variables[1].numpy().tolist() == pytest.approx([-0.3, -0.3])


# -- options that shape the slots, changed after the first step ----------------------------------
def steps(opt, w, grads):
    for g in grads:
        opt.apply_gradients([(tg.constant(np.asarray(g, dtype=np.float64)), w)])


G3 = [np.array([1.0, -2.0]), np.array([0.5, 1.5]), np.array([-1.0, 0.25])]


def test_amsgrad_turned_on_later_starts_its_maximum_at_zero():
    """The missing velocity_hat slot is built as Keras builds it (zeros): it was a KeyError."""
    w = tg.Variable(np.array([1.0, 2.0]))
    opt = opts.Adam(0.1)
    steps(opt, w, G3[:1])
    opt.amsgrad = True
    steps(opt, w, G3[1:])
    x, m, v, v_hat = np.array([1.0, 2.0]), 0.0, 0.0, 0.0
    for t, g in enumerate(G3, 1):
        m, v = m + (g - m) * 0.1, v + (g * g - v) * 0.001
        v_hat = np.maximum(v_hat, v) if t > 1 else v_hat
        denominator = np.sqrt(v_hat if t > 1 else v) + 1e-7
        x = x - 0.1 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / denominator
    np.testing.assert_allclose(w.numpy(), x, rtol=1e-14)
    np.testing.assert_allclose(opt.get_slot(w, "velocity_hat").numpy(), v_hat, rtol=1e-14)
    assert opt.slot_names() == ["momentum", "velocity", "velocity_hat", "first_step"]


@pytest.mark.parametrize("option", [{"centered": True}, {"momentum": 0.5}, {}])
def test_rmsprop_centered_or_momentum_turned_on_later_start_from_zero(option):
    w = tg.Variable(np.array([1.0, 2.0]))
    opt = opts.RMSprop(0.1)
    steps(opt, w, G3[:1])
    for name, value in option.items():
        setattr(opt, name, value)
    steps(opt, w, G3[1:])
    centered, momentum = option.get("centered", False), option.get("momentum", 0.0)
    x, v, a, p = np.array([1.0, 2.0]), 0.0, 0.0, 0.0
    for t, g in enumerate(G3, 1):
        v = 0.9 * v + 0.1 * g * g
        if centered and t > 1:
            a = 0.9 * a + 0.1 * g
        step = 0.1 * g / np.sqrt(v - a * a + 1e-7)
        if momentum and t > 1:
            step = p = momentum * p + step
        x = x - step
    np.testing.assert_allclose(w.numpy(), x, rtol=1e-14)
    if centered:
        np.testing.assert_allclose(opt.get_slot(w, "average_gradient").numpy(), a, rtol=1e-14)
    if momentum:
        np.testing.assert_allclose(opt.get_slot(w, "momentum").numpy(), p, rtol=1e-14)


def test_use_ema_turned_on_later_averages_from_the_current_value():
    """The average starts at the variable's value when the next step begins, as Keras builds
    it from the value at build time: turning use_ema on used to do nothing at all."""
    w = tg.Variable(np.float64(0.0))
    opt = opts.SGD(1.0, ema_momentum=0.5)
    steps(opt, w, [-1.0])  # w = 1
    opt.use_ema = True
    steps(opt, w, [-1.0, -1.0])  # w = 2, then 3; the average 0.5 * 1 + 0.5 * 2, then 2.25
    assert float(opt.get_slot(w, "average")) == 2.25
    opt.finalize_variable_values([w])
    assert float(w) == 2.25


def test_gradient_accumulation_turned_on_later_counts_calls_from_the_start_as_keras():
    """Whether a call updates depends on the number of calls so far, as in Keras: after one
    plain step, the second call (of an even count) is an update, whose mean takes this call's
    gradient and the new accumulator's zeros; then every other call updates."""
    w = tg.Variable(np.array([1.0, 2.0]))
    opt = opts.SGD(0.5)
    steps(opt, w, G3[:1])
    opt.gradient_accumulation_steps = 2
    steps(opt, w, G3[1:2])
    np.testing.assert_allclose(w.numpy(), [1.0, 2.0] - 0.5 * G3[0] - 0.5 * G3[1] / 2, rtol=1e-15)
    before = w.numpy()
    steps(opt, w, G3[2:])  # accumulated only
    assert w.numpy().tolist() == before.tolist()
    assert opt.get_slot(w, "gradient_accumulator").numpy().tolist() == G3[2].tolist()
    steps(opt, w, [np.array([3.0, 0.75])])
    np.testing.assert_allclose(w.numpy(), before - 0.5 * np.array([1.0, 0.5]), rtol=1e-15)


def test_gradient_accumulation_turned_on_later_keeps_adams_steps_counted_from_one():
    """iterations counts updates (calls // steps), so turning accumulation on lowers it: a
    variable that joined late must not get a step count of 0 (a bias correction of 0)."""
    w, late = tg.Variable(1.0), tg.Variable(1.0)
    opt = opts.Adam(0.1)
    for _ in range(3):
        opt.apply_gradients([(tg.constant(1.0), w)])
    opt.apply_gradients([(tg.constant(1.0), w), (tg.constant(1.0), late)])  # late's step 1
    opt.gradient_accumulation_steps = 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero
        for _ in range(4):
            opt.apply_gradients([(tg.constant(1.0), w), (tg.constant(1.0), late)])
    assert np.isfinite(float(late)) and float(late) < 0.9


def test_options_turned_off_later_drop_the_slots_they_no_longer_use(tmp_path):
    w = tg.Variable(np.array([1.0, 2.0]))
    opt = opts.Adam(0.1, amsgrad=True, use_ema=True)
    steps(opt, w, G3[:1])
    opt.amsgrad, opt.use_ema = False, False
    assert opt.slot_names() == ["momentum", "velocity", "first_step"]
    assert len(opt.variables) == 1 + 3
    with pytest.raises(KeyError, match="its slots are \\['momentum', 'velocity', 'first_step'\\]"):
        opt.get_slot(w, "velocity_hat")
    steps(opt, w, G3[1:])
    tg.save(tmp_path / "c.npz", {"w": w, "opt": opt})  # the file holds what slot_names says
    w2, opt2 = tg.Variable(np.zeros(2)), opts.Adam(0.1)
    tg.load(tmp_path / "c.npz", {"w": w2, "opt": opt2})
    for name in opt2.slot_names():
        np.testing.assert_array_equal(opt2.get_slot(w2, name), opt.get_slot(w, name))


def test_build_after_an_option_changed_builds_the_new_slots():
    w = tg.Variable(np.array([1.0, 2.0]))
    opt = opts.RMSprop()
    opt.build([w])
    opt.centered = True
    opt.build([w])
    assert opt.get_slot(w, "average_gradient").numpy().tolist() == [0.0, 0.0]


def test_get_slot_says_whether_the_variable_or_the_slot_is_missing():
    w, never = tg.Variable(1.0, name="w"), tg.Variable(1.0, name="never")
    plain = opts.SGD(0.1)
    plain.apply_gradients([(tg.constant(1.0), w)])
    with pytest.raises(KeyError) as caught:
        plain.get_slot(w, "momentum")
    assert caught.value.args[0] == (
        "SGD has no slot 'momentum' for variable 'w:0': SGD keeps no slots with these options"
    )
    with pytest.raises(KeyError) as caught:
        plain.get_slot(never, "momentum")
    assert caught.value.args[0] == (
        "SGD has no slot 'momentum' for variable 'never:0': no gradient has been applied to it "
        "yet, so it has no slots (build([var]) creates them now)"
    )
    adam = opts.Adam(0.1)
    adam.apply_gradients([(tg.constant(1.0), w)])
    with pytest.raises(KeyError) as caught:
        adam.get_slot(w, "velocity_hat")
    assert caught.value.args[0] == (
        "Adam has no slot 'velocity_hat' for variable 'w:0': its slots are "
        "['momentum', 'velocity', 'first_step']"
    )
