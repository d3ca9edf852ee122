/**
 * For adapter and store authors, not applications: the seams between the hub and the outside.
 *
 * <ul>
 *   <li>{@link dev.sse.core.spi.Transport} and {@link dev.sse.core.spi.FrameSource}: how a connection adapter (the
 *       servlet module) carries one channel's frames to its client.</li>
 *   <li>{@link dev.sse.core.spi.EventHistory} and {@link dev.sse.core.spi.RecordedEvent}: where broadcasts are kept
 *       for {@code Last-Event-ID} resume.</li>
 *   <li>{@link dev.sse.core.spi.Backplane}: a shared event log that makes hubs on many nodes act as one, and
 *       {@link dev.sse.core.spi.BackplaneProvider}, which makes one from a URI for adapters configured by text.</li>
 * </ul>
 */
package dev.sse.core.spi;
