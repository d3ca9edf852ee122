package dev.sse.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An event encoded once, ready to be written as-is to any number of connections.
 *
 * <pre>{@code
 * SseFrame frame = SseFrame.of(SseEvent.data("hello"));
 * frame.writeTo(outputStream);
 * }</pre>
 *
 * <p>Immutable and safe to share between threads. The hub encodes each broadcast into one frame and hands the same
 * frame to every recipient, so fan-out to N clients costs one encoding, not N.
 */
public final class SseFrame {

    /** A keep-alive: a frame holding one empty comment line, three bytes on the wire. */
    public static final SseFrame KEEP_ALIVE = of(SseEvent.comment(""));

    private final SseEvent event;
    private final byte[] bytes;

    private SseFrame(SseEvent event) {
        this.event = event;
        this.bytes = SseEncoder.encode(event);
    }

    /**
     * Encodes an event into a frame.
     *
     * @param event the event
     * @return the frame
     */
    public static SseFrame of(SseEvent event) {
        return new SseFrame(Objects.requireNonNull(event, "event"));
    }

    /** @return the event this frame encodes */
    public SseEvent event() {
        return event;
    }

    /** @return the number of bytes on the wire */
    public int length() {
        return bytes.length;
    }

    /**
     * Writes the frame's bytes in one call to {@code out.write(byte[], int, int)}.
     *
     * @param out the stream to write to
     * @throws IOException as thrown by the stream
     */
    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes, 0, bytes.length);
    }

    /** @return a read-only view of the frame's bytes, positioned at 0 */
    public ByteBuffer asReadOnlyBuffer() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    /** @return a copy of the frame's bytes */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** @return the frame as text, for logs and tests */
    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
