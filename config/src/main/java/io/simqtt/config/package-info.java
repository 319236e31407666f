/**
 * Node settings: HOCON files (typesafe-config) turned into immutable, validated records.
 *
 * <p>Every default lives in {@code reference.conf}; {@link SettingsLoader} merges a file and the
 * environment over it and refuses a bad value with a one-line message naming the key before any
 * port is opened.
 */
package io.simqtt.config;
