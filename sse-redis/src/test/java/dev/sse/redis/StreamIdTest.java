package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamIdTest {

    @Test
    void onlyDigitsDashDigitsInRangeAreStreamIds() {
        assertThat(StreamId.parse("1718000000000-0")).hasToString("1718000000000-0");
        assertThat(StreamId.parse("18446744073709551615-18446744073709551615")).isNotNull();
        for (String bogus : new String[] {null, "", "42", "-1", "1-", "-", "1--2", "1-2-3", "a-1", "1-b", " 1-2",
                "18446744073709551616-0", "+1-2", "1-2\n"}) {
            assertThat(StreamId.parse(bogus)).as(String.valueOf(bogus)).isNull();
        }
    }

    @Test
    void idsCompareAsUnsignedNumbersPartByPart() {
        assertThat(StreamId.parse("10-0")).isGreaterThan(StreamId.parse("9-99"));
        assertThat(StreamId.parse("9-10")).isGreaterThan(StreamId.parse("9-9"));
        assertThat(StreamId.parse("18446744073709551615-0")).isGreaterThan(StreamId.parse("1-0"));
    }

    @Test
    void nextIsTheSmallestLargerId() {
        assertThat(StreamId.parse("5-7").next()).hasToString("5-8");
        assertThat(StreamId.parse("5-18446744073709551615").next()).hasToString("6-0");
    }
}
