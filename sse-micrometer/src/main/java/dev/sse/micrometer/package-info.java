/**
 * Micrometer meters for a {@link dev.sse.core.Hub}: see {@link dev.sse.micrometer.HubMetrics} for their names.
 */
package dev.sse.micrometer;
