/**
 * The {@code $SYS/broker/...} topics: figures a node publishes about itself, with Mosquitto's
 * names so existing dashboards work. They are facts of one node, so they are retained and
 * delivered on this node only, never replicated to peers; clients cannot publish under {@code
 * $SYS/}.
 */
package io.simqtt.core.sys;
