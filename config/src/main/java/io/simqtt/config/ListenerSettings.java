package io.simqtt.config;

/** A TCP listener address; port 0 asks the OS for a free port (tests). */
public record ListenerSettings(String host, int port) {}
