from app.formats import strip_xml_illegal


def test_strip_xml_illegal_drops_control_characters_and_noncharacters():
    text = "a\x00b\x08c\x0bd\x1fe\ufffef\uffffg"
    assert strip_xml_illegal(text.encode()) == b"abcdefg"


def test_strip_xml_illegal_keeps_tabs_newlines_and_multibyte_text():
    text = "tab\there\nline\r\n é ✓ 𝄞 \ufffd"
    assert strip_xml_illegal(text.encode()) == text.encode()
