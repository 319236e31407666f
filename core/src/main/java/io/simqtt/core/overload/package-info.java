/**
 * Overload limits: what one listener admits ({@link io.simqtt.core.overload.ConnectionGate}: open
 * connections, new connections per second on the listener and per source address), how fast one
 * client may send ({@link io.simqtt.core.overload.InboundRate}), and the
 * {@link io.simqtt.core.overload.HeapGuard}, which stops a node taking work while its heap is
 * nearly full.
 *
 * <p>None of them closes a client that is already connected: a connection over a limit is refused
 * as it is accepted, before any of its bytes is read; a client over its rate, or every client while
 * the heap guard is on, is slowed by not being read, so TCP pushes back on the sender. Every
 * refusal and pause is counted.
 */
package io.simqtt.core.overload;
