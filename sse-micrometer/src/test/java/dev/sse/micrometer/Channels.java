package dev.sse.micrometer;

import dev.sse.core.ChannelOptions;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseFrame;
import dev.sse.core.Transport;

/** The one place these tests open channels and read frames, as a transport adapter would. */
final class Channels {

    private Channels() {
    }

    static EventChannel open(Hub hub) {
        return open(hub, null);
    }

    static EventChannel open(Hub hub, String lastEventId) {
        return hub.open(new Transport() {
            @Override
            public void framesAvailable() {
            }

            @Override
            public void close() {
            }
        }, ChannelOptions.builder().lastEventId(lastEventId).build());
    }

    /** Takes every queued frame as a writer would; returns the bytes taken. */
    static long drain(EventChannel channel) {
        long bytes = 0;
        for (SseFrame f = channel.poll(); f != null; f = channel.poll()) {
            bytes += f.length();
        }
        return bytes;
    }
}
