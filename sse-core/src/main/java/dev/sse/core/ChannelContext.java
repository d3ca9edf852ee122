package dev.sse.core;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * What a channel uses of its hub, handed over at construction so that a channel has no reference back to the hub:
 * the shared frame log its cursor reads, topic membership, the counters, its limits and policy, the coalescing key
 * function and where to report its close.
 *
 * @param log the hub's broadcast log
 * @param topics topic membership
 * @param limits each channel's limits and slow-client policy
 * @param keyOf the coalescing key of an event, {@code null} for none; runs user code, so never under a lock
 * @param counters the hub's counters
 * @param onClose told once per channel as it closes, with no lock held: the hub forgets it and counts the reason
 * @param tellClosed tells listeners of a close, once the channel was announced to them
 */
record ChannelContext(FrameLog log, TopicIndex topics, QueueLimits limits, Function<SseEvent, String> keyOf,
        Counters counters, BiConsumer<EventChannel, CloseReason> onClose,
        BiConsumer<EventChannel, CloseReason> tellClosed) {

    /** The hub's counters that channels add to. */
    static final class Counters {
        final LongAdder framesSent = new LongAdder();
        final LongAdder bytesSent = new LongAdder();
        final LongAdder dropped = new LongAdder();

        void sent(SseFrame frame) {
            framesSent.increment();
            bytesSent.add(frame.length());
        }
    }
}
