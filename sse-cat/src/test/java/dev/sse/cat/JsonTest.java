package dev.sse.cat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void eventLinesHaveExactlyTypeDataAndLastEventIdInThatOrder() {
        assertThat(Json.event("update", "{\"n\":1}", "7"))
                .isEqualTo("{\"type\":\"update\",\"data\":\"{\\\"n\\\":1}\",\"lastEventId\":\"7\"}");
        assertThat(Json.event("message", "", "")).isEqualTo("{\"type\":\"message\",\"data\":\"\",\"lastEventId\":\"\"}");
    }

    @Test
    void controlCharactersAndQuotesAreEscaped() {
        assertThat(Json.comment("a\"b\\c\nd\re\tf\bg\fh\u0000i\u001fj\u007f"))
                .isEqualTo("{\"comment\":\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0000i\\u001fj\u007f\"}");
    }

    @Test
    void lineAndParagraphSeparatorsAreEscaped() {
        assertThat(Json.comment("x\u2028y\u2029z")).isEqualTo("{\"comment\":\"x\\u2028y\\u2029z\"}");
    }

    @Test
    void unpairedSurrogatesAreEscapedAndPairsKept() {
        assertThat(Json.comment("\ud800 \udfff \ud83d\ude00 \ude00\ud83d"))
                .isEqualTo("{\"comment\":\"\\ud800 \\udfff \ud83d\ude00 \\ude00\\ud83d\"}");
    }

    @Test
    void otherUnicodeIsWrittenAsIs() {
        assertThat(Json.comment("héllo €")).isEqualTo("{\"comment\":\"héllo €\"}");
    }
}
