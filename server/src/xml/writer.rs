use quick_xml::escape::escape;

/// Builds an S3 response document. Text is always escaped; element names are
/// static strings chosen by horreo.
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    /// Starts a document whose root element carries S3's namespace.
    pub fn new(root: &'static str) -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        buf.push('<');
        buf.push_str(root);
        buf.push_str(r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#);
        Self { buf }
    }

    /// Starts a document whose root element carries namespace `namespace`
    /// (IAM's, STS's).
    pub fn with_namespace(root: &str, namespace: &str) -> Self {
        let mut w = Self {
            buf: r#"<?xml version="1.0" encoding="UTF-8"?>"#.to_owned(),
        };
        w.buf.push('<');
        w.buf.push_str(root);
        w.buf.push_str(" xmlns=\"");
        w.buf.push_str(&escape(namespace));
        w.buf.push_str("\">");
        w
    }

    /// Starts a document whose root element has no namespace (as `<Error>`).
    pub fn bare(root: &'static str) -> Self {
        let mut w = Self {
            buf: r#"<?xml version="1.0" encoding="UTF-8"?>"#.to_owned(),
        };
        w.open(root);
        w
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name a="v" ...>`, attribute values escaped.
    pub fn open_with(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        for (attribute, value) in attributes {
            self.buf.push(' ');
            self.buf.push_str(attribute);
            self.buf.push_str("=\"");
            self.buf.push_str(&escape(*value));
            self.buf.push('"');
        }
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>`, escaped.
    pub fn elem(&mut self, name: &str, text: impl AsRef<str>) -> &mut Self {
        self.open(name);
        self.buf.push_str(&escape(text.as_ref()));
        self.close(name)
    }

    /// Escaped text inside the current element.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.buf.push_str(&escape(text));
        self
    }

    /// Like [`elem`](Self::elem), only when there is a value.
    pub fn opt(&mut self, name: &str, text: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(text) = text {
            self.elem(name, text);
        }
        self
    }

    /// `<Tag><Key>key</Key><Value>value</Value></Tag>`, as every tag set has it.
    pub fn tag(&mut self, key: &str, value: &str) -> &mut Self {
        self.open("Tag").elem("Key", key).elem("Value", value);
        self.close("Tag")
    }

    /// Closes the root element and returns the document.
    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let mut w = XmlWriter::bare("Error");
        w.elem("Key", "a<b>&\"c\"");
        assert_eq!(
            w.finish("Error"),
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Key>a&lt;b&gt;&amp;&quot;c&quot;</Key></Error>"#
        );
    }
}
