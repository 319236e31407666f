/** Netty listeners: event loop groups, transport choice, the per-connection pipeline. */
package io.simqtt.core.server;
