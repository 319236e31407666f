package io.simqtt.core.codec;

/** One MQTT 5 User Property: a UTF-8 name/value pair, order and duplicates kept. */
public record UserProperty(String name, String value) {}
