package io.simqtt.core.auth;

/** What a client asks to do with a topic. */
public enum Action {
  /** Publish to a topic (also: its will, checked at CONNECT and when it is sent). */
  PUBLISH,
  /** Subscribe to a filter ({@code $share/group/} already stripped). */
  SUBSCRIBE,
  /** Receive a message on a topic: each delivery, retained messages on subscribe included. */
  RECEIVE
}
