package dev.sse.core;

import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything about a client coming back with a {@code Last-Event-ID}, in one place: what to replay (the channel's
 * share of the history, newest first when it does not all fit), whether there is a gap (and the gap event), and the
 * skip of a client that is ahead of this node ({@link Skip}, which the channel's cursor applies to live entries).
 */
final class Resume {

    private static final Logger LOG = LoggerFactory.getLogger(Resume.class);

    /** What a channel starts with: frames ahead of the live ones, the gap, and a skip or {@code null}. */
    record Plan(List<SseFrame> frames, boolean gap, Skip skip) {
    }

    private final EventHistory history;
    private final QueueLimits limits;
    private final SseEvent gapEvent;

    Resume(EventHistory history, QueueLimits limits, SseEvent gapEvent) {
        this.history = history;
        this.limits = limits;
        this.gapEvent = gapEvent;
    }

    /**
     * Plans a channel's start: its initial event, then, when resuming, the gap event if any and the replay up to
     * {@code upTo}, the sequence when it registered. A replay is bounded by half the client's limits: beyond that the
     * newest events that fit are replayed and the resume is a gap. A failing history is a gap, not a failure.
     */
    Plan plan(long channelId, ChannelOptions options, long upTo) {
        List<SseFrame> frames = new ArrayList<>();
        if (options.initialEvent() != null) {
            frames.add(SseFrame.of(options.initialEvent()));
        }
        if (options.lastEventId() == null) {
            return new Plan(frames, false, null);
        }
        EventHistory.Replay replay;
        try {
            replay = history.replay(options.lastEventId(), upTo);
        } catch (RuntimeException e) {
            LOG.warn("history replay failed for channel {}; resuming with a gap", channelId, e);
            replay = new EventHistory.Replay(List.of(), true);
        }
        boolean gap = replay.gap();
        List<SseFrame> kept = newestThatFit(replay.events(), options.topics());
        if (kept.size() < replayable(replay.events(), options.topics())) {
            LOG.debug("channel {}: replay after {} exceeds half the queue limits; the rest is a gap", channelId,
                    options.lastEventId());
            gap = true;
        }
        if (gap && gapEvent != null) {
            frames.add(SseFrame.of(gapEvent));
        }
        frames.addAll(kept);
        if (gap) {
            LOG.debug("channel {} resumed from unknown, evicted or too distant id {}", channelId,
                    options.lastEventId());
        }
        Skip skip = replay.aheadThrough() == null ? null : new Skip(replay.aheadThrough(), replay.idOrder());
        return new Plan(frames, gap, skip);
    }

    /**
     * The channel's share of a replay, oldest first, cut from the old end so that what is closest to live stays when
     * it exceeds {@link QueueLimits#replayFits}.
     */
    private List<SseFrame> newestThatFit(List<RecordedEvent> events, Set<String> topics) {
        ArrayDeque<SseFrame> kept = new ArrayDeque<>();
        long bytes = 0;
        for (int i = events.size() - 1; i >= 0; i--) {
            RecordedEvent e = events.get(i);
            if (!reaches(e, topics)) {
                continue;
            }
            if (!limits.replayFits(kept.size() + 1, bytes + e.frame().length())) {
                break;
            }
            bytes += e.frame().length();
            kept.addFirst(e.frame());
        }
        return new ArrayList<>(kept);
    }

    private static int replayable(List<RecordedEvent> events, Set<String> topics) {
        int n = 0;
        for (RecordedEvent e : events) {
            if (reaches(e, topics)) {
                n++;
            }
        }
        return n;
    }

    private static boolean reaches(RecordedEvent e, Set<String> topics) {
        return e.topic() == null || topics.contains(e.topic());
    }

    /**
     * A client ahead of this node already saw the live entries up to an id: they are skipped until an entry at or
     * past it is read, whatever its topic (so an id this node never delivers cannot silence the stream). Not
     * thread-safe: the channel's lock guards it.
     */
    static final class Skip {
        private final String through;
        private final Comparator<String> order;
        private boolean over;

        Skip(String through, Comparator<String> order) {
            this.through = Objects.requireNonNull(through, "through");
            this.order = Objects.requireNonNull(order, "order");
        }

        /**
         * Shown every live entry's id in the log's order.
         *
         * @return whether the entry is new to the client
         */
        boolean passes(String id) {
            if (over || id == null) {
                return true;
            }
            int c = order.compare(id, through);
            if (c >= 0) {
                over = true;
            }
            return c > 0;
        }
    }
}
