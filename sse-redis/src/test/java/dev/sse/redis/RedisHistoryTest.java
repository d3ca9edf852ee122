package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.EventHistory.Replay;
import dev.sse.core.spi.RecordedEvent;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Every boundary of "where is the client against this node" on a real stream: a client id before, at and past the
 * node's position (what it has delivered, or where it started reading), real or not.
 */
class RedisHistoryTest {

    private static RedisServer redis;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;

    private RedisCommands<String, String> commands;
    private String key;
    private final List<String> ids = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
        client = RedisClient.create(redis.uri());
        connection = client.connect();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        connection.close();
        client.shutdown();
        redis.close();
    }

    @BeforeEach
    void fiveEntries(TestInfo info) {
        key = "sse:" + info.getTestMethod().orElseThrow().getName();
        commands = connection.sync();
        for (int i = 1; i <= 5; i++) {
            ids.add(commands.xadd(key, Map.of(EntryCodec.DATA, "e" + i)));
        }
    }

    private RedisHistory startedAfter(String position) {
        RedisHistory h = new RedisHistory(key, 100, 1 << 20, () -> commands);
        h.startAt(StreamId.parse(position));
        return h;
    }

    private static RecordedEvent delivered(long sequence, String id) {
        return new RecordedEvent(sequence, null, SseFrame.of(SseEvent.data("x").withId(id)), Instant.now());
    }

    private static List<String> ids(Replay r) {
        List<String> out = new ArrayList<>();
        r.events().forEach(e -> out.add(e.id()));
        return out;
    }

    @Test
    void clientAtTheIdANodeStartedAfterIsUpToDateNotAhead() {
        // A node restarted after the 5th entry; the client saw the 5th on the node it left.
        Replay r = startedAfter(ids.get(4)).replay(ids.get(4), 0);

        assertThat(r.aheadThrough()).isNull();
        assertThat(r.gap()).isFalse();
        assertThat(r.events()).isEmpty();
    }

    @Test
    void clientBeforeTheNodesPositionIsReplayedUpToIt() {
        Replay r = startedAfter(ids.get(3)).replay(ids.get(1), 0);

        assertThat(r.aheadThrough()).isNull();
        assertThat(r.gap()).isFalse();
        assertThat(ids(r)).containsExactly(ids.get(2), ids.get(3));
    }

    @Test
    void clientPastTheNodesPositionIsAheadThroughItsId() {
        Replay r = startedAfter(ids.get(1)).replay(ids.get(3), 0);

        assertThat(r.aheadThrough()).isEqualTo(ids.get(3));
        assertThat(r.gap()).isFalse();
        assertThat(r.idOrder().compare(ids.get(4), ids.get(3))).isPositive();
        assertThat(r.idOrder().compare(ids.get(2), ids.get(3))).isNegative();
        assertThat(r.idOrder().compare(ids.get(3), ids.get(3))).isZero();
    }

    @Test
    void clientPastTheNodesPositionWithAnIdTheStreamNeverHeldGetsAGapNotASkip() {
        StreamId newest = StreamId.parse(ids.get(4));
        String never = newest.next().next().toString();

        Replay r = startedAfter(ids.get(1)).replay(never, 0);

        assertThat(r.aheadThrough()).isNull();
        assertThat(r.gap()).isTrue();
    }

    @Test
    void clientAtTheNewestIdThisNodeDeliveredIsUpToDate() {
        RedisHistory h = startedAfter(ids.get(0));
        h.append(delivered(1, ids.get(1)));
        h.append(delivered(2, ids.get(2)));

        Replay r = h.replay(ids.get(2), 2);

        assertThat(r.aheadThrough()).isNull();
        assertThat(r.gap()).isFalse();
        assertThat(r.events()).isEmpty();
    }

    @Test
    void clientWithAnIdDeliveredHereAfterItsChannelRegisteredIsAheadSoNothingArrivesTwice() {
        RedisHistory h = startedAfter(ids.get(0));
        h.append(delivered(1, ids.get(1)));
        h.append(delivered(2, ids.get(2)));
        h.append(delivered(3, ids.get(3)));

        // The channel registered at sequence 1; the node delivered 2 and 3 (queued live) before the replay ran.
        Replay r = h.replay(ids.get(3), 1);

        assertThat(r.aheadThrough()).isEqualTo(ids.get(3));
    }

    @Test
    void anIdTheOrderCannotPlaceSortsPastSoADoubtEndsTheSkip() {
        assertThat(RedisHistory.STREAM_ORDER.compare("not-an-id", ids.get(0))).isPositive();
        assertThat(RedisHistory.STREAM_ORDER.compare(ids.get(0), "not-an-id")).isNegative();
    }
}
