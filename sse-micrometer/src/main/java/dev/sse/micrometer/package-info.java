/**
 * Micrometer meters for a {@link dev.sse.core.Hub} ({@link dev.sse.micrometer.HubMetrics}, {@code sse.connections.*})
 * and for the per-request streams of an application ({@link dev.sse.micrometer.StreamMetrics}, {@code sse.streams.*}).
 */
package dev.sse.micrometer;
