"""The CPU training kernel: a hand-written forward/backward for an ensemble of MLPs.

Every seed's network is independent, so seeds run in parallel (contiguous ranges of
seeds on numba's threads, :func:`infoplane.nets._parallel.over_rows`) and
each seed's arithmetic is the same whatever the ensemble: a seed trained inside an
ensemble gives bit-identical weights to the same seed trained alone. Within a
seed, activations are stored as (units, batch) so that every inner loop runs over
the batch and vectorises (AVX2/AVX-512). Parameters of one seed live in one flat
float32 vector: layer l's weights (n_in x n_out, row-major) at ``off_w[l]``, its
biases at ``off_b[l]``.

The arithmetic follows PyTorch: mean cross-entropy over the minibatch, Adam and
SGD (momentum, coupled L2 weight decay) exactly as ``torch.optim`` defines them.
``tests/nets/test_kernel.py`` checks the gradients and updates against autograd.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload, typeof_impl

from infoplane._compiling import is_cached
from infoplane.nets._parallel import over_rows
from infoplane.nets.activations import tanh_rational_coefficients

_P, _Q = (c.astype(np.float32) for c in tanh_rational_coefficients(12))
P0, P1, P2, P3, P4, P5, P6 = (np.float32(c) for c in _P)
Q0, Q1, Q2, Q3, Q4, Q5, Q6 = (np.float32(c) for c in _Q)
TANH_CLAMP = np.float32(9.0)
"""|x| beyond which float32 tanh(x) rounds to +-1; the rational is used below it."""
ONE = np.float32(1.0)
HALF = np.float32(0.5)

TANH, RELU, SIGMOID, SOFTSIGN, SOFTPLUS, ELU, SILU, LINEAR = range(8)
ADAM, SGD = 0, 1

_JIT = {"fastmath": True, "error_model": "numpy", "cache": True}


@njit(inline="always", **_JIT)
def fast_tanh(x):
    """tanh in float32 from a rational of Lambert's continued fraction (|err| < 4e-7).

    The clamp is min/max, which vectorises to ``vminps``/``vmaxps``; written as two
    conditional expressions it became compare-and-blend pairs, for the same values and
    a training epoch 3-5% slower (issue 15), and a NaN read as 1.0."""
    v = min(max(x, -TANH_CLAMP), TANH_CLAMP)
    u = v * v
    num = v * (P0 + u * (P1 + u * (P2 + u * (P3 + u * (P4 + u * (P5 + u * P6))))))
    den = Q0 + u * (Q1 + u * (Q2 + u * (Q3 + u * (Q4 + u * (Q5 + u * Q6)))))
    return num / den


@njit(**_JIT)
def fast_tanh_array(x):
    """Elementwise :func:`fast_tanh` of a 1-D float32 array (for tests)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fast_tanh(x[i])
    return out


@njit(inline="always", **_JIT)
def _sigmoid(x):
    return HALF + HALF * fast_tanh(HALF * x)


# -- activations: each run compiles only its own (issue 15) ----------------------------
# The entry points pass ``act`` as an :class:`ActivationCode`, which numba types as a
# literal, so the kernels are compiled (and cached) per activation, and ``_value`` /
# ``_scaled`` pick that activation's scalar function while typing: the training
# kernel holds one activation instead of eight branches, and a first run compiles one.
# Entry i of each tuple is activation code i (TANH, RELU, ...).


class ActivationCode(int):
    """An activation code that numba types as ``Literal[int](code)``, not ``int64``.

    Unboxed as a plain int; its value is part of the compiled signature, so each
    activation gets its own compiled (and cached) kernel, with no ``literally``
    retry (which would count as a compilation on every run).
    """


@typeof_impl.register(ActivationCode)
def _typeof_activation_code(val: ActivationCode, c: object) -> types.IntegerLiteral:
    return types.IntegerLiteral(int(val))


@njit(inline="always", **_JIT)
def _tanh(x):
    return fast_tanh(x)


@njit(inline="always", **_JIT)
def _relu(x):
    return x if x > 0 else np.float32(0.0)


@njit(inline="always", **_JIT)
def _softsign(x):
    return x / (ONE + abs(x))


@njit(inline="always", **_JIT)
def _softplus(x):
    return max(x, np.float32(0.0)) + math.log1p(math.exp(-abs(x)))


@njit(inline="always", **_JIT)
def _elu(x):
    return x if x > 0 else math.expm1(x)


@njit(inline="always", **_JIT)
def _silu(x):
    return x * _sigmoid(x)


@njit(inline="always", **_JIT)
def _linear(x):
    return x


# The derivatives update d[i, b] in place, as the loop did before they were split out:
# a function returning the new value made LLVM's vectoriser give up on ReLU's (7x slower).
@njit(inline="always", **_JIT)
def _d_tanh(d, z, h, i, b):
    d[i, b] *= ONE - h[i, b] * h[i, b]


@njit(inline="always", **_JIT)
def _d_relu(d, z, h, i, b):
    d[i, b] = d[i, b] if z[i, b] > 0 else np.float32(0.0)


@njit(inline="always", **_JIT)
def _d_sigmoid(d, z, h, i, b):
    d[i, b] *= h[i, b] * (ONE - h[i, b])


@njit(inline="always", **_JIT)
def _d_softsign(d, z, h, i, b):
    s = ONE + abs(z[i, b])
    d[i, b] /= s * s


@njit(inline="always", **_JIT)
def _d_softplus(d, z, h, i, b):
    d[i, b] *= _sigmoid(z[i, b])


@njit(inline="always", **_JIT)
def _d_elu(d, z, h, i, b):
    d[i, b] *= ONE if z[i, b] > 0 else h[i, b] + ONE


@njit(inline="always", **_JIT)
def _d_silu(d, z, h, i, b):
    s = _sigmoid(z[i, b])
    d[i, b] *= s + z[i, b] * s * (ONE - s)


@njit(inline="always", **_JIT)
def _d_linear(d, z, h, i, b):
    return


_VALUES = (_tanh, _relu, _sigmoid, _softsign, _softplus, _elu, _silu, _linear)
_SCALED = (_d_tanh, _d_relu, _d_sigmoid, _d_softsign, _d_softplus, _d_elu, _d_silu,
           _d_linear)


def _value(act, x):
    """act(x) for a literal activation code ``act`` (compiled code only)."""
    raise NotImplementedError


def _scaled(act, d, z, h, i, b):
    """d[i, b] *= act'(z[i, b]), h = act(z), for a literal activation code ``act``
    (compiled code only)."""
    raise NotImplementedError


def _literal_choice(table, act):
    """The entry of ``table`` for the literal code ``act``; None (no match) otherwise."""
    if not isinstance(act, types.IntegerLiteral):
        return None
    return table[act.literal_value]


@overload(_value, prefer_literal=True, inline="always")
def _value_impl(act, x):
    fn = _literal_choice(_VALUES, act)
    if fn is None:
        return None
    return lambda act, x: fn(x)


@overload(_scaled, prefer_literal=True, inline="always")
def _scaled_impl(act, d, z, h, i, b):
    fn = _literal_choice(_SCALED, act)
    if fn is None:
        return None
    return lambda act, d, z, h, i, b: fn(d, z, h, i, b)


@njit(**_JIT)
def _activate(act, z, h, n, bs):
    """h[:n, :bs] = act(z[:n, :bs]) for a literal activation code ``act``."""
    for i in range(n):
        for b in range(bs):
            h[i, b] = _value(act, z[i, b])


@njit(inline="always", **_JIT)
def _scale_by_derivative(act, z, h, d, n, bs):
    """d[:n, :bs] *= act'(z) for a literal ``act``, using the stored outputs h where cheaper."""
    for i in range(n):
        for b in range(bs):
            _scaled(act, d, z, h, i, b)


@njit(**_JIT)
def _combine(p, base, s_out, s_in, src, dst, n_src, n_dst, bs, bias):
    """dst[k, b] = (p[bias + k] or 0 if bias < 0) + sum_r p[base + k s_out + r s_in] src[r, b].

    The forward pass (weights W[r, k], s_out = 1, s_in = n_out, with the biases) and
    the input gradients (W[k, r], s_out = n_out, s_in = 1, no bias) are both this.
    Four rows of ``src`` per pass over dst[k] (then two, then one): each vector of dst
    is loaded and stored once per four fused multiply-adds, since the load/store
    ports, not the FMA units, bound a pass that does one product per load and store.
    """
    for k in range(n_dst):
        start = p[bias + k] if bias >= 0 else np.float32(0.0)
        for b in range(bs):
            dst[k, b] = start
        w = base + k * s_out
        r = 0
        while r + 4 <= n_src:
            w0, w1 = p[w + r * s_in], p[w + (r + 1) * s_in]
            w2, w3 = p[w + (r + 2) * s_in], p[w + (r + 3) * s_in]
            for b in range(bs):
                dst[k, b] += (w0 * src[r, b] + w1 * src[r + 1, b]) + (
                    w2 * src[r + 2, b] + w3 * src[r + 3, b])
            r += 4
        if r + 2 <= n_src:
            w0, w1 = p[w + r * s_in], p[w + (r + 1) * s_in]
            for b in range(bs):
                dst[k, b] += w0 * src[r, b] + w1 * src[r + 1, b]
            r += 2
        if r < n_src:
            w0 = p[w + r * s_in]
            for b in range(bs):
                dst[k, b] += w0 * src[r, b]


@njit(inline="always", **_JIT)
def _weight_grad(g, ow, h_in, delta, n_in, n_out, bs):
    """g[ow + i n_out + j] = sum_b h_in[i, b] delta[j, b]; four j per pass over h_in[i]."""
    for i in range(n_in):
        row = ow + i * n_out
        j = 0
        while j + 4 <= n_out:
            a0 = a1 = a2 = a3 = np.float32(0.0)
            for b in range(bs):
                h = h_in[i, b]
                a0 += h * delta[j, b]
                a1 += h * delta[j + 1, b]
                a2 += h * delta[j + 2, b]
                a3 += h * delta[j + 3, b]
            g[row + j], g[row + j + 1], g[row + j + 2], g[row + j + 3] = a0, a1, a2, a3
            j += 4
        while j < n_out:
            a0 = np.float32(0.0)
            for b in range(bs):
                a0 += h_in[i, b] * delta[j, b]
            g[row + j] = a0
            j += 1


@njit(**_JIT)
def _softmax(z, out, n_classes, bs):
    """out[:, :bs] = softmax over classes of z[:, :bs]."""
    if n_classes == 2:
        for b in range(bs):
            p1 = _sigmoid(z[1, b] - z[0, b])
            out[1, b] = p1
            out[0, b] = ONE - p1
    else:
        for b in range(bs):
            top = z[0, b]
            for j in range(1, n_classes):
                top = max(top, z[j, b])
            total = np.float32(0.0)
            for j in range(n_classes):
                out[j, b] = math.exp(z[j, b] - top)
                total += out[j, b]
            for j in range(n_classes):
                out[j, b] /= total


@njit(inline="always", **_JIT)
def _update(p, g, m, v, t, opt, lr, beta1, beta2, eps, momentum, weight_decay):
    """One optimizer step on a seed's flat parameters, as torch.optim defines it."""
    if opt == ADAM:
        bc1 = 1.0 - beta1**t
        step_size = np.float32(lr / bc1)
        bc2_sqrt = np.float32(math.sqrt(1.0 - beta2**t))
        b1, b2 = np.float32(beta1), np.float32(beta2)
        for k in range(p.size):
            gk = g[k] + np.float32(weight_decay) * p[k]
            m[k] = b1 * m[k] + (ONE - b1) * gk
            v[k] = b2 * v[k] + (ONE - b2) * gk * gk
            p[k] -= step_size * m[k] / (math.sqrt(v[k]) / bc2_sqrt + np.float32(eps))
    else:
        for k in range(p.size):
            gk = g[k] + np.float32(weight_decay) * p[k]
            if momentum != 0.0:
                m[k] = gk if t == 1 else np.float32(momentum) * m[k] + gk
                gk = m[k]
            p[k] -= np.float32(lr) * gk


@njit(inline="always", **_JIT)
def _splitmix64(state):
    """One step of SplitMix64: returns (new state, 64 random bits)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@njit(inline="always", **_JIT)
def shuffle_into(order, source, state):
    """Fisher-Yates: ``order`` = a random permutation of ``source``; returns the new state."""
    for i in range(order.size):  # not order[:] = source: its shape check compiles slowly
        order[i] = source[i]
    for i in range(order.size - 1, 0, -1):
        state, r = _splitmix64(state)
        j = np.int64(r % np.uint64(i + 1))
        order[i], order[j] = order[j], order[i]
    return state


@njit(**_JIT)
def epoch_orders(states, train_idx, n_epochs):
    """The minibatch orders of the next ``n_epochs`` epochs, (epochs, seeds, n_train).

    Advances ``states`` (one uint64 per seed) exactly as :func:`train_epochs` does.
    """
    n_seeds, n_train = train_idx.shape
    out = np.empty((n_epochs, n_seeds, n_train), dtype=train_idx.dtype)
    for s in range(n_seeds):
        for e in range(n_epochs):
            states[s] = shuffle_into(out[e, s], train_idx[s], states[s])
    return out


def train_epochs(
    params, m, v, steps, states, X, y, train_idx, sizes, off_w, off_b, act,
    batch_size, n_epochs, opt, lr, beta1, beta2, eps, momentum, weight_decay, stats,
):
    """Train every seed for ``n_epochs`` epochs, in place, the seeds split over threads.

    params, m, v : (seeds, n_params) float32 -- parameters and optimizer moments
    steps : (seeds,) int64 -- optimizer steps taken so far
    states : (seeds,) uint64 -- minibatch-order generator states
    train_idx : (seeds, n_train) int64 -- each seed's training rows of X
    stats : (n_epochs, seeds, n_layers, 3) float64 -- out: per epoch and layer, the
        norms of the mean and of the elementwise std of the weight gradients over
        the epoch's minibatches (taken before each update), and the weight norm, all
        accumulated in float64 so that they stay finite while the parameters do.
    """
    args = _seed_arguments(
        params, m, v, steps, states, X, y, train_idx, sizes, off_w, off_b, act,
        batch_size, n_epochs, opt, lr, beta1, beta2, eps, momentum, weight_decay, stats,
    )
    over_rows(params.shape[0], lambda lo, hi: _train_seeds(lo, hi, *args))


def _seed_arguments(
    params, m, v, steps, states, X, y, train_idx, sizes, off_w, off_b, act,
    batch_size, n_epochs, opt, lr, beta1, beta2, eps, momentum, weight_decay, stats,
):
    """:func:`train_epochs`'s arguments as :func:`_train_seeds` takes them after its
    seed range (the types numba compiles it for: the activation as a literal)."""
    return (
        params, m, v, steps, states, X, y, train_idx, sizes, off_w, off_b,
        ActivationCode(act), batch_size, n_epochs, opt, float(lr), float(beta1),
        float(beta2), float(eps), float(momentum), float(weight_decay), stats,
    )


def _tiny_training(act: int) -> tuple:
    """:func:`train_epochs`'s arguments for 0 epochs of one seed of a 2-2-2 network on
    two samples, with the types ``CpuEnsemble.train`` passes (``tests/nets`` checks that
    compiling these leaves nothing to compile for a real ensemble)."""
    sizes = np.array([2, 2, 2], dtype=np.int64)
    params = np.zeros((1, 12), dtype=np.float32)
    return (
        params, np.zeros_like(params), np.zeros_like(params), np.zeros(1, np.int64),
        np.zeros(1, np.uint64), np.zeros((2, 2), np.float32), np.zeros(2, np.int64),
        np.zeros((1, 2), np.int64), sizes, np.array([0, 6], np.int64),
        np.array([4, 10], np.int64), act, 2, 0, ADAM, 1e-3, 0.9, 0.999, 1e-8, 0.0, 0.0,
        np.zeros((0, 1, 2, 3), np.float64),
    )


def compile_training(act: int) -> None:
    """Compile (or load from the disk cache) the training kernel of activation code
    ``act``, by training a tiny ensemble for no epoch. Any config with that activation
    then finds it in the cache (the other settings are run-time values)."""
    train_epochs(*_tiny_training(act))


def training_compiled(act: int) -> bool:
    """Whether numba's disk cache holds the training kernel of activation code ``act``
    (see :func:`infoplane._compiling.is_cached`)."""
    return is_cached(_train_seeds, (0, 1, *_seed_arguments(*_tiny_training(act))))


@njit(inline="always", **_JIT)
def _max(sizes):
    top = sizes[0]
    for i in range(1, sizes.size):
        top = max(top, sizes[i])
    return top


@njit(nogil=True, **_JIT)
def _train_seeds(
    lo, hi, params, m, v, steps, states, X, y, train_idx, sizes, off_w, off_b, act,
    batch_size, n_epochs, opt, lr, beta1, beta2, eps, momentum, weight_decay, stats,
):
    """:func:`train_epochs` for seeds ``lo .. hi - 1``, on the calling thread.

    Numba links each separately compiled callee into its caller and optimises it
    again there (issue 15), so the minibatch step is written out here, and the helpers
    only training calls are inlined (``inline="always"``); those shared with
    :func:`_forward_seeds` (``_combine``, ``_activate``, ``_softmax``) compile once.
    """
    one = np.int64(1)  # an int64, not Literal[int](1): one compiled _combine serves all
    n_params = params.shape[1]
    n_train = train_idx.shape[1]
    n_layers = sizes.size - 1
    max_width = _max(sizes)
    n_batches = (n_train + batch_size - 1) // batch_size
    for s in range(lo, hi):
        p, ms, vs = params[s], m[s], v[s]
        g = np.empty(n_params, dtype=np.float32)
        g_sum = np.empty(n_params, dtype=np.float64)  # float64: var = E[g^2] - E[g]^2
        g_sq = np.empty(n_params, dtype=np.float64)
        hs = np.empty((n_layers + 1, max_width, batch_size), dtype=np.float32)
        zs = np.empty((n_layers + 1, max_width, batch_size), dtype=np.float32)
        d_a = np.empty((max_width, batch_size), dtype=np.float32)
        d_b = np.empty((max_width, batch_size), dtype=np.float32)
        labels = np.empty(batch_size, dtype=np.int64)
        order = np.empty(n_train, dtype=train_idx.dtype)
        for e in range(n_epochs):
            states[s] = shuffle_into(order, train_idx[s], states[s])
            for q in range(n_params):
                g_sum[q] = 0.0
                g_sq[q] = 0.0
            for k in range(n_batches):
                # forward and backward on the minibatch: the gradient into g
                idx = order[k * batch_size : min((k + 1) * batch_size, n_train)]
                bs = idx.size
                for b in range(bs):
                    labels[b] = y[idx[b]]
                for i in range(sizes[0]):
                    for b in range(bs):
                        hs[0, i, b] = X[idx[b], i]
                for layer in range(n_layers):
                    n_in, n_out = sizes[layer], sizes[layer + 1]
                    _combine(p, off_w[layer], one, n_out, hs[layer], zs[layer + 1], n_in,
                             n_out, bs, off_b[layer])  # z = b + W^T h
                    if layer < n_layers - 1:
                        _activate(act, zs[layer + 1], hs[layer + 1], n_out, bs)
                # d(mean loss)/dz = (softmax(z) - onehot(labels)) / bs
                n_classes = sizes[n_layers]
                _softmax(zs[n_layers], d_a, n_classes, bs)
                inv = ONE / np.float32(bs)
                for j in range(n_classes):
                    for b in range(bs):
                        d_a[j, b] *= inv
                for b in range(bs):
                    d_a[labels[b], b] -= inv
                delta, spare = d_a, d_b
                for layer in range(n_layers - 1, -1, -1):
                    n_in, n_out = sizes[layer], sizes[layer + 1]
                    ow, ob = off_w[layer], off_b[layer]
                    for j in range(n_out):
                        acc = np.float32(0.0)
                        for b in range(bs):
                            acc += delta[j, b]
                        g[ob + j] = acc
                    _weight_grad(g, ow, hs[layer], delta, n_in, n_out, bs)
                    if layer > 0:
                        _combine(p, ow, n_out, one, delta, spare, n_out, n_in, bs, -one)
                        _scale_by_derivative(act, zs[layer], hs[layer], spare, n_in, bs)
                        delta, spare = spare, delta
                for q in range(n_params):
                    gq = np.float64(g[q])
                    g_sum[q] += gq
                    g_sq[q] += gq * gq
                steps[s] += 1
                _update(p, g, ms, vs, steps[s], opt, lr, beta1, beta2, eps, momentum,
                        weight_decay)
            for layer in range(n_layers):
                mean_sq = 0.0
                var_sum = 0.0
                w_sq = 0.0
                ow = off_w[layer]
                for q in range(ow, ow + sizes[layer] * sizes[layer + 1]):
                    mean = g_sum[q] / n_batches
                    mean_sq += mean * mean
                    var_sum += max(g_sq[q] / n_batches - mean * mean, 0.0)
                    wq = np.float64(p[q])  # float64: a float32 square overflows past 1.8e19
                    w_sq += wq * wq
                stats[e, s, layer, 0] = math.sqrt(mean_sq)
                stats[e, s, layer, 1] = math.sqrt(var_sum)
                stats[e, s, layer, 2] = math.sqrt(w_sq)


def forward_all(params, X, sizes, off_w, off_b, act, chunk, out):
    """Every layer's activations on all rows of X, for every seed, written into ``out``.

    ``out`` (seeds, sum(sizes[1:]), n_samples) float32 receives the hidden layers'
    units, then the output's softmax probabilities, one row per unit (so every write
    runs along the samples and vectorises). Returns ``out``. Seeds are split over threads.
    """
    act = ActivationCode(act)
    over_rows(params.shape[0], lambda lo, hi: _forward_seeds(
        lo, hi, params, X, sizes, off_w, off_b, act, chunk, out))
    return out


@njit(nogil=True, **_JIT)
def _forward_seeds(lo, hi, params, X, sizes, off_w, off_b, act, chunk, out):
    """:func:`forward_all` for seeds ``lo .. hi - 1``, on the calling thread."""
    one = np.int64(1)  # as in _train_seeds: the same compiled _combine
    n, n_layers = X.shape[0], sizes.size - 1
    max_width = _max(sizes)
    for s in range(lo, hi):
        p = params[s]
        hs = np.empty((n_layers + 1, max_width, chunk), dtype=np.float32)
        z = np.empty((max_width, chunk), dtype=np.float32)
        for start in range(0, n, chunk):
            bs = min(chunk, n - start)
            for i in range(sizes[0]):
                for b in range(bs):
                    hs[0, i, b] = X[start + b, i]
            column = 0
            for layer in range(n_layers):
                n_in, n_out = sizes[layer], sizes[layer + 1]
                _combine(p, off_w[layer], one, n_out, hs[layer], z, n_in, n_out, bs,
                         off_b[layer])
                if layer < n_layers - 1:
                    _activate(act, z, hs[layer + 1], n_out, bs)
                else:
                    _softmax(z, hs[layer + 1], n_out, bs)
                for j in range(n_out):
                    for b in range(bs):
                        out[s, column + j, start + b] = hs[layer + 1, j, b]
                column += n_out
