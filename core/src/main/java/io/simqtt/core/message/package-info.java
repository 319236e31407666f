/** The application message as the broker keeps it between receiving and delivering. */
package io.simqtt.core.message;
