/*
 * recurrent.h — N-API entry points of the fused recurrent kernels (LSTM, GRU, Elman RNN): the whole
 * sequence of one layer and direction runs inside one call (time loop in C). Float32 only.
 *
 * One driver (recurrent_driver.c) runs every cell in the batch-slice scheme of recurrent_common.h.
 *
 * Legend: T time, B batch, I input, H hidden, P projection (LSTM, 0 = none), Hout = P > 0 ? P : H,
 *   G gate width (LSTM 4H, GRU 3H, RNN H). Shapes, semantics and saved-buffer contents are those of
 *   src/kernels/backend.ts and the reference kernels src/kernels/ref/{lstm,gru,rnn}.ts.
 *
 * Arguments are positional (no object property reads: a streaming B = 1, T = 1 call costs ~1 µs of
 * N-API overhead), in the order of the tables below (RC_ARGS_*: the one definition; recurrent_napi.c
 * takes its indices from them, src/kernels/native/recurrent-adapter.ts RECURRENT_ARGS mirrors them and
 * test/native-recurrent.test.ts compares the two through recurrentArgs()). Every buffer is a
 * Float32Array with at least the elements of its shape; "|null" = may be null or undefined. Every
 * call returns undefined; the kernels never allocate.
 *
 *   dims      Int32Array(9): [T, B, I, H, P, reverse (0|1), nonlinearity (0 tanh | 1 relu, RNN only),
 *             tasks (0 = automatic; n >= 1 = exactly min(n, B, 16) batch slices whatever the size, for
 *             tests — each slice runs the whole sequence for its rows), ldy (>= Hout: the row stride of
 *             y and dy; Hout = rows packed, 2·Hout = one direction's half of a (T,B,2·Hout) buffer)].
 *             P must be 0 for GRU and RNN. Results are bit-identical for any thread count and tasks.
 *   head (every kernel): dims, x (T,B,I), h0 (B,Hout), c0 (B,H) (LSTM; ignored else), wIh (G,I),
 *             wHh (G,Hout), bIh (G)|null, bHh (G)|null, wHr (P,H) (LSTM with P > 0; ignored else),
 *             lengths Int32Array (B)|null with values in [1,T], maskX (B,I)|null, maskH (B,Hout)|null,
 *             ws (recurrentWorkspace elements)
 *   forward:  y (T,B,Hout) rows ldy apart ((T·B − 1)·ldy + Hout elements), hN (B,Hout), cN (B,H), gates (T,B,G)|null, c, q, m (T,B,H), h (T,B,Hout);
 *             m only when P > 0 (else ignored). gates null = inference (LSTM, GRU): no saved buffer is
 *             written (c, h, m, q may then be null; the state is carried in the workspace), only y, hN
 *             (and cN). Saves the writes of 6·H (LSTM; 7·H with P > 0) or 5·H (GRU) floats per row and
 *             step that only a backward would read.
 *   backward: the saved buffers as above, upstream dy (T,B,Hout) rows ldy apart|null, dhN (B,Hout)|null, dcN (B,H)|null,
 *             and accumulated (+=), each |null = not wanted: dx (T,B,I), dh0 (B,Hout), dc0 (B,H),
 *             dWIh (G,I), dWHh (G,Hout), dBIh, dBHh (G), dWHr (P,H).
 *   pair:     every kernel entry point also takes the arguments of two calls in a row (head and buffers
 *             of one direction, then of the other: the two directions of a bidirectional layer). Same
 *             results as the two calls one after the other; on 2 threads they run at once, one per
 *             thread (recurrent_napi.c run_pair). Nothing the one writes (ws, outputs, gradients) may
 *             overlap what the other writes (ValueError "….pair"), except the two y of one buffer with
 *             the same ldy whose columns do not meet (a bidirectional layer's halves).
 *   recurrentWorkspace(kind (0 lstm | 1 gru | 2 rnn), T, B, I, H, P) -> number of float32 elements
 *             (one workspace serves forward and backward).
 *   recurrentArgs() -> { head: [names], lstmForward: [names after the head], … } (the tables below).
 *   stepPrepare(kind (0 lstm | 1 gru | 2 rnn), ...head) -> handle: a streamed inference step (T = 1,
 *             B <= 2, no lengths, no masks) checked once: the handle holds the dims and the weights, biases
 *             and ws (references keep them alive; their CONTENTS are read at every step, so in-place
 *             updates are seen; new arrays need a new handle).
 *   stepRun(handle, x (B,I), h0 (B,Hout), c0 (B,H)|null (LSTM), y (B,Hout)|null, hN (B,Hout), cN (B,H)|null
 *             (LSTM)): the inference forward of that step on these buffers — 7 arguments instead of 20
 *             (~0.6 µs less per step); y null: no output sequence is written (a cell's step). Its buffers
 *             are checked in bytes, not element type (napi_util.h rc_get_f32_fast).
 *
 * Errors (napi_util.h): ShapeError (missing / short buffer, bad dims), ValueError (wrong element type,
 * lengths out of [1, T]) or OptionError (bad nonlinearity, kind); messages read "lstmForward: expected X,
 * got Y". Nothing is written before all arguments are checked.
 */
#ifndef RC_RECURRENT_H
#define RC_RECURRENT_H

#include <node_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RC_ARGS_HEAD(X) X(dims) X(x) X(h0) X(c0) X(wIh) X(wHh) X(bIh) X(bHh) X(wHr) X(lengths) X(maskX) X(maskH) X(ws)
#define RC_ARGS_LSTM_FWD(X) X(y) X(hN) X(cN) X(gates) X(c) X(h) X(m)
#define RC_ARGS_GRU_FWD(X) X(y) X(hN) X(gates) X(q) X(h)
#define RC_ARGS_RNN_FWD(X) X(y) X(hN) X(h)
#define RC_ARGS_LSTM_BWD(X) \
  X(gates) X(c) X(h) X(m) X(dy) X(dhN) X(dcN) X(dx) X(dh0) X(dc0) X(dWIh) X(dWHh) X(dBIh) X(dBHh) X(dWHr)
#define RC_ARGS_GRU_BWD(X) X(gates) X(q) X(h) X(dy) X(dhN) X(dx) X(dh0) X(dWIh) X(dWHh) X(dBIh) X(dBHh)
#define RC_ARGS_RNN_BWD(X) X(h) X(dy) X(dhN) X(dx) X(dh0) X(dWIh) X(dWHh) X(dBIh) X(dBHh)

/* X(jsName, kind, backward (0|1), argument table) of every sequence entry point. */
#define RC_RECURRENT_KERNELS(X)                      \
  X(lstmForward, RC_LSTM, 0, RC_ARGS_LSTM_FWD)       \
  X(lstmBackward, RC_LSTM, 1, RC_ARGS_LSTM_BWD)      \
  X(gruForward, RC_GRU, 0, RC_ARGS_GRU_FWD)          \
  X(gruBackward, RC_GRU, 1, RC_ARGS_GRU_BWD)         \
  X(rnnForward, RC_RNN, 0, RC_ARGS_RNN_FWD)          \
  X(rnnBackward, RC_RNN, 1, RC_ARGS_RNN_BWD)

napi_value rc_recurrent_workspace(napi_env env, napi_callback_info info);
napi_value rc_recurrent_args(napi_env env, napi_callback_info info);
napi_value rc_step_prepare(napi_env env, napi_callback_info info);
napi_value rc_step_run(napi_env env, napi_callback_info info);
#define RC_DECLARE_KERNEL(js, kind, bwd, args) napi_value rc_js_##js(napi_env env, napi_callback_info info);
RC_RECURRENT_KERNELS(RC_DECLARE_KERNEL)

/* X(jsName, cFunction) for the entry points besides the kernels (those: RC_RECURRENT_KERNELS). */
#define RC_RECURRENT_EXPORTS(X)                    \
  X("recurrentWorkspace", rc_recurrent_workspace) \
  X("recurrentArgs", rc_recurrent_args)           \
  X("stepPrepare", rc_step_prepare)               \
  X("stepRun", rc_step_run)

#ifdef __cplusplus
}
#endif

#endif /* RC_RECURRENT_H */
