package dev.sse.jackson.readme;

import dev.sse.client.MessageEvent;
import dev.sse.core.DataCodec;
import dev.sse.core.Hub;
import dev.sse.jackson.JacksonCodec;
import java.util.List;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** README, "Typed events (JSON)", verbatim (see ReadmeSnippetsTest); compiled, so it cannot rot. */
final class TypedSnippets {

    record Price(String currency, double value) {
    }

    private TypedSnippets() {
    }

    static List<Price> typed(JsonMapper jsonMapper, Hub hub, MessageEvent message, MessageEvent batch) {
DataCodec json = JacksonCodec.of(jsonMapper);                         // or Jackson2Codec.of(objectMapper)
hub.broadcast(json.event("price", new Price("EUR", 1.0842)));         // encoded once, however many listen
Price p = json.decode(message.data(), Price.class);                   // on the client, from a MessageEvent
List<Price> all = json.decode(batch.data(), new TypeReference<List<Price>>() { }.getType());
        return p == null ? all : List.of(p);
    }
}
