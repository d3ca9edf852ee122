package dev.sse.micrometer;

import dev.sse.core.ChannelOptions;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The one place these tests open channels and read frames, as a transport adapter would. */
final class Channels {

    private Channels() {
    }

    /** The drain side each channel's transport was given. */
    private static final Map<EventChannel, FrameSource> SOURCES = new ConcurrentHashMap<>();

    static EventChannel open(Hub hub) {
        return open(hub, null);
    }

    static EventChannel open(Hub hub, String lastEventId) {
        FrameSource[] source = new FrameSource[1];
        EventChannel channel = hub.open(new Transport() {
            @Override
            public void attach(FrameSource frames) {
                source[0] = frames;
            }

            @Override
            public void framesAvailable() {
                // The test drains when it chooses to.
            }

            @Override
            public void close() {
                // Nothing to end: no socket.
            }
        }, ChannelOptions.builder().lastEventId(lastEventId).build());
        SOURCES.put(channel, source[0]);
        return channel;
    }

    /** Takes every queued frame as a writer would; returns the bytes taken. */
    static long drain(EventChannel channel) {
        FrameSource frames = SOURCES.get(channel);
        long bytes = 0;
        for (SseFrame f = frames.poll(); f != null; f = frames.poll()) {
            bytes += f.length();
        }
        return bytes;
    }
}
