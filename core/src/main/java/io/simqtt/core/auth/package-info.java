/**
 * Who may connect and what clients may do: the {@link io.simqtt.core.auth.Authenticator} and
 * {@link io.simqtt.core.auth.Authorizer} interfaces that the built-in Mosquitto {@link
 * io.simqtt.core.auth.PasswordFile} and {@link io.simqtt.core.auth.AclFile} and plug-ins ({@link
 * io.simqtt.core.auth.AuthPlugins}) implement, ordered by {@link io.simqtt.core.auth.AuthRules};
 * {@link io.simqtt.core.auth.Authentication}, which asks them in order off the event loops, gives
 * each client its {@link io.simqtt.core.auth.Permissions} and makes a refused client wait longer
 * with each failure from its address; and {@link io.simqtt.core.auth.AuthReloader}, which
 * re-reads the files (SIGHUP, the admin API, a change on disk) and moves every session to the new
 * rules.
 */
package io.simqtt.core.auth;
