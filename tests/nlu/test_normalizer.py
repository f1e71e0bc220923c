import unicodedata

from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalizer import RAW_TEXT, VietnameseNormalizer


def test_process_normalises_and_keeps_the_raw_text() -> None:
    raw = unicodedata.normalize("NFD", "  xin   chào  ")
    message = Message.build(text=raw)
    VietnameseNormalizer().process([message])
    assert message.get(TEXT) == "xin chào"
    assert message.get(RAW_TEXT) == raw


def test_clean_text_is_left_alone() -> None:
    message = Message.build(text="xin chào")
    VietnameseNormalizer().process([message])
    assert message.get(TEXT) == "xin chào"
    assert message.get(RAW_TEXT) is None


def test_training_entities_follow_the_normalised_text() -> None:
    raw = "tôi   muốn  làm " + unicodedata.normalize("NFD", "thẻ căn cước") + " ở Thanh Hoá"
    start = raw.index("th")
    end = start + len(unicodedata.normalize("NFD", "thẻ căn cước"))
    city_start = raw.index("Thanh")
    message = Message.build(
        text=raw,
        intent="ask",
        entities=[
            {"start": start, "end": end, "value": raw[start:end], "entity": "service"},
            {"start": city_start, "end": len(raw), "value": "Thanh Hóa", "entity": "province"},
        ],
    )
    data = VietnameseNormalizer().process_training_data(TrainingData([message]))
    example = data.training_examples[0]
    text = example.get(TEXT)
    assert text == "tôi muốn làm thẻ căn cước ở Thanh Hóa"
    service, province = example.get(ENTITIES)
    assert text[service["start"] : service["end"]] == "thẻ căn cước"
    assert service["value"] == "thẻ căn cước"
    assert text[province["start"] : province["end"]] == "Thanh Hóa"
    assert province["value"] == "Thanh Hóa"


def test_empty_and_non_text_messages_do_not_crash() -> None:
    messages = [Message.build(text=""), Message(data={})]
    VietnameseNormalizer().process(messages)
    assert messages[0].get(TEXT) == ""
