/**
 * Who may connect: the {@link io.simqtt.core.auth.Authenticator} interface that built-in checks
 * (the Mosquitto {@link io.simqtt.core.auth.PasswordFile}) and plug-ins implement, and {@link
 * io.simqtt.core.auth.Authentication}, which asks them in order off the event loops and makes a
 * refused client wait longer with each failure from its address.
 */
package io.simqtt.core.auth;
