package dev.sse.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

    private final List<String> events = new ArrayList<>();
    private final EventDecoder decoder = EventDecoder.create((type, data, id) -> events.add(type + "|" + data + "|" + id));

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        decoder.feed(b, 0, b.length);
    }

    @Test
    void dispatchesOnBlankLineWithLfCrAndCrlf() {
        feed("data: a\n\ndata: b\r\rdata: c\r\n\r\n");
        assertThat(events).containsExactly("message|a|", "message|b|", "message|c|");
    }

    @Test
    void crlfSplitAcrossFeedsIsOneLineEnd() {
        feed("data: a\r");
        feed("\n\r");
        feed("\n");
        assertThat(events).containsExactly("message|a|");
    }

    @Test
    void multiLineDataIdAndTypeAreKept() {
        feed("id: 7\nevent: tick\ndata: x\ndata:y\n\n");
        assertThat(events).containsExactly("tick|x\ny|7");
    }

    @Test
    void commentsAndIdOnlyFramesDispatchNothing() {
        feed(":\n\nid: 3\n\n");
        assertThat(events).isEmpty();
    }
}
