package dev.sse.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.examples.shared.ClockTicker;
import dev.sse.examples.shared.Json;
import java.time.LocalTime;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void quotesAndBackslashesAreEscaped() {
        assertThat(Json.quote("say \"hi\" \\ bye")).isEqualTo("\"say \\\"hi\\\" \\\\ bye\"");
    }

    @Test
    void controlCharactersAreEscaped() {
        assertThat(Json.quote("a\nb\rc\td\u0000e\u001f")).isEqualTo("\"a\\nb\\rc\\td\\u0000e\\u001f\"");
    }

    @Test
    void lineAndParagraphSeparatorsAreEscapedForScripts() {
        assertThat(Json.quote("\u2028\u2029")).isEqualTo("\"\\u2028\\u2029\"");
    }

    @Test
    void unpairedSurrogatesAreEscapedAndPairsKept() {
        assertThat(Json.quote("\uD83D\uDE80 \uD83D x \uDE80")).isEqualTo("\"\uD83D\uDE80 \\ud83d x \\ude80\"");
    }

    @Test
    void clockUpdateHasExactShape() {
        assertThat(ClockTicker.updateJson(LocalTime.of(9, 5, 7), 0))
                .isEqualTo("{\"time\":\"09:05:07\",\"message\":\"Hello from the server\"}");
    }
}
