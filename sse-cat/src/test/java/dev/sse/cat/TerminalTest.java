package dev.sse.cat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TerminalTest {

    @Test
    void csiAndOscSequencesAreWrittenAsEscapes() {
        assertThat(Terminal.safe("\u001b[2J\u001b]0;title\u0007x"))
                .isEqualTo("\\u001b[2J\\u001b]0;title\\u0007x");
    }

    @Test
    void lineBreaksCannotFakeALineOfOurs() {
        assertThat(Terminal.safe("a\r\nsse-cat: closed\u2028b\u2029\tc"))
                .isEqualTo("a\\r\\nsse-cat: closed\\u2028b\\u2029\\tc");
    }

    @Test
    void delAndC1ControlsAreWrittenAsEscapes() {
        assertThat(Terminal.safe("a\u007fb\u0080c\u009b31md\u009f")).isEqualTo("a\\u007fb\\u0080c\\u009b31md\\u009f");
    }

    @Test
    void bidiOverridesAreWrittenAsEscapes() {
        assertThat(Terminal.safe("x\u202eevil\u202cy\u2066z\u2069\u200e\u200f\u061c"))
                .isEqualTo("x\\u202eevil\\u202cy\\u2066z\\u2069\\u200e\\u200f\\u061c");
    }

    @Test
    void unpairedSurrogatesAreEscapedAndOtherTextIsKept() {
        assertThat(Terminal.safe("héllo € 😀 \\ \ud800")).isEqualTo("héllo € 😀 \\ \\ud800");
        String plain = "sse-cat: open: 200 text/event-stream";
        assertThat(Terminal.safe(plain)).isSameAs(plain);
    }

    @Test
    void everyLineGoesThroughTheEscaping() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new Terminal(new PrintStream(bytes, true, StandardCharsets.UTF_8)).line("x\u001b[2Jy");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("x\\u001b[2Jy" + System.lineSeparator());
    }
}
