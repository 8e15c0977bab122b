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
 * N-API overhead). "F32" = Float32Array with at least the given number of elements; "|null" = may be
 * null or undefined. Every call returns undefined; the kernels never allocate.
 *
 *   dims      Int32Array(8): [T, B, I, H, P, reverse (0|1), nonlinearity (0 tanh | 1 relu, RNN only),
 *             tasks (0 = automatic; n >= 1 = exactly min(n, B, 16) batch slices whatever the size, for
 *             tests — each slice runs the whole sequence for its rows)].
 *             P must be 0 for GRU and RNN. Results are bit-identical for any thread count and tasks.
 *
 *   Head, arguments 0..12, the same for every kernel:
 *     0 dims   1 x F32 (T,B,I)   2 h0 F32 (B,Hout)   3 c0 F32 (B,H) (LSTM; ignored, may be null, else)
 *     4 wIh F32 (G,I)   5 wHh F32 (G,Hout)   6 bIh F32 (G)|null   7 bHh F32 (G)|null
 *     8 wHr F32 (P,H) (LSTM with P > 0; ignored else)   9 lengths Int32Array (B)|null, values in [1,T]
 *     10 maskX F32 (B,I)|null   11 maskH F32 (B,Hout)|null   12 ws F32 (recurrentWorkspace elements)
 *
 *   lstmForward  (head, 13 y (T,B,Hout), 14 hN (B,Hout), 15 cN (B,H), 16 gates (T,B,4H)|null, 17 c (T,B,H),
 *                 18 h (T,B,Hout), 19 m (T,B,H) when P > 0 else ignored|null)                    20 args
 *   gruForward   (head, 13 y (T,B,H), 14 hN (B,H), 15 gates (T,B,3H)|null, 16 q (T,B,H), 17 h (T,B,H)) 18 args
 *                 gates null = inference: no saved buffer is written (c, h, m, q may then be null; the
 *                 state is carried in the workspace), only y, hN (and cN). Saves the writes of 6·H (LSTM;
 *                 7·H with P > 0) or 5·H (GRU) floats per row and step that only a backward would read.
 *   rnnForward   (head, 13 y (T,B,H), 14 hN (B,H), 15 h (T,B,H))                                  16 args
 *   lstmBackward (head, saved: 13 gates, 14 c, 15 h, 16 m (P > 0),
 *                 upstream: 17 dy|null, 18 dhN|null, 19 dcN|null,
 *                 accumulated (+=), each |null = not wanted: 20 dx, 21 dh0, 22 dc0, 23 dWIh, 24 dWHh,
 *                 25 dBIh, 26 dBHh, 27 dWHr)                                                     28 args
 *   gruBackward  (head, 13 gates, 14 q, 15 h, 16 dy|null, 17 dhN|null, 18 dx, 19 dh0, 20 dWIh,
 *                 21 dWHh, 22 dBIh, 23 dBHh)                                                     24 args
 *   rnnBackward  (head, 13 h, 14 dy|null, 15 dhN|null, 16 dx, 17 dh0, 18 dWIh, 19 dWHh, 20 dBIh,
 *                 21 dBHh)                                                                       22 args
 *   recurrentWorkspace(kind (0 lstm | 1 gru | 2 rnn), T, B, I, H, P) -> number of float32 elements
 *                 (one workspace serves forward and backward, and is never smaller than the
 *                 reference backend's, so the two backends can share it).
 *
 * Errors: thrown as Error with .code 'E_SHAPE' (missing / short buffer, bad dims), 'E_VALUE'
 * (wrong element type, lengths out of [1, T]) or 'E_OPTION' (bad nonlinearity); messages read
 * "lstmForward: expected X, got Y". Nothing is written before all arguments are checked.
 */
#ifndef RC_RECURRENT_H
#define RC_RECURRENT_H

#include <node_api.h>

#ifdef __cplusplus
extern "C" {
#endif

napi_value rc_recurrent_workspace(napi_env env, napi_callback_info info);
napi_value rc_lstm_forward(napi_env env, napi_callback_info info);
napi_value rc_lstm_backward(napi_env env, napi_callback_info info);
napi_value rc_gru_forward(napi_env env, napi_callback_info info);
napi_value rc_gru_backward(napi_env env, napi_callback_info info);
napi_value rc_rnn_forward(napi_env env, napi_callback_info info);
napi_value rc_rnn_backward(napi_env env, napi_callback_info info);

/* X(jsName, cFunction) for every entry point, for the addon's property table. */
#define RC_RECURRENT_EXPORTS(X)                    \
  X("recurrentWorkspace", rc_recurrent_workspace) \
  X("lstmForward", rc_lstm_forward)               \
  X("lstmBackward", rc_lstm_backward)             \
  X("gruForward", rc_gru_forward)                 \
  X("gruBackward", rc_gru_backward)               \
  X("rnnForward", rc_rnn_forward)                 \
  X("rnnBackward", rc_rnn_backward)

#ifdef __cplusplus
}
#endif

#endif /* RC_RECURRENT_H */
