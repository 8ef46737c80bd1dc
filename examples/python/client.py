"""A newsroom service in Python using quotedesk: ingest a story, then look up who said what.

Stubs are generated from ../../proto into a temporary folder when this runs (never committed), with
grpcio-tools. Usage: python3 client.py HOST:PORT STORY.txt
"""

import pathlib
import sys
import tempfile

import grpc
from grpc_tools import protoc

PROTO_ROOT = pathlib.Path(__file__).resolve().parents[2] / "proto"


def generate_stubs(out_dir: str) -> None:
    """Compiles every .proto under proto/ into Python modules in out_dir."""
    files = [str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto")]
    include = pathlib.Path(protoc.__file__).parent / "_proto"  # google/protobuf/*.proto
    code = protoc.main(["protoc", f"-I{PROTO_ROOT}", f"-I{include}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *files])
    if code != 0:
        raise SystemExit(f"protoc failed with {code}")


def main() -> None:
    address, story_path = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as out_dir:
        generate_stubs(out_dir)
        sys.path.insert(0, out_dir)
        from quotedesk.v1 import quotedesk_pb2, quotedesk_pb2_grpc, resources_pb2

        with grpc.insecure_channel(address) as channel:
            desk = quotedesk_pb2_grpc.QuoteDeskStub(channel)
            story = pathlib.Path(story_path).read_text(encoding="utf-8")
            article = resources_pb2.Article(id="python-example", publisher="Vestnik Kavkaza", body=story)
            stored = desk.IngestArticle(quotedesk_pb2.IngestArticleRequest(article=article), timeout=30)
            print(f"stored {stored.article.name}: {len(stored.entities)} entities, {len(stored.quotes)} quotes")

            hits = desk.SearchEntities(quotedesk_pb2.SearchEntitiesRequest(query="Gabuev"), timeout=10).hits
            speaker = hits[0].entity
            print(f"{speaker.display_name} ({speaker.name}), roles: {list(speaker.roles)}")
            quotes = desk.ListQuotes(quotedesk_pb2.ListQuotesRequest(speaker=speaker.name), timeout=10).quotes
            for quote in quotes:
                kind = resources_pb2.QuoteKind.Name(quote.kind)
                print(f"  [{kind}] {quote.speaker_mention.text} {quote.cue.text}: {quote.text[:70]}")
            direct = [q for q in quotes if q.kind == resources_pb2.QUOTE_KIND_DIRECT]
            assert len(direct) == 3, f"expected Gabuev's 3 direct quotes, got {len(direct)}"

            try:
                desk.GetArticle(quotedesk_pb2.GetArticleRequest(name="articles/missing"), timeout=10)
                raise AssertionError("a missing article must be NOT_FOUND")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND, error
                print(f"missing article: {error.code().name}: {error.details()}")
    print("python example: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
