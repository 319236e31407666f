package io.simqtt.core.auth;

/**
 * How one reload of the password and ACL files went on one node.
 *
 * @param reloaded whether the new rules are in force; false keeps the previous ones
 * @param message what was read (users, rules, plug-ins), or what is wrong: file, line, problem
 * @param clientsUpdated sessions whose permissions follow the new rules since this reload
 */
public record AuthReload(boolean reloaded, String message, int clientsUpdated) {}
