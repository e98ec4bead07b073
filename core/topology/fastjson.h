#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>

#include <vector>

/// A small, fast reader for the JSON that `lxc query` and `ip -j` print, for parsers that read
/// thousands of objects (QJsonDocument spends most of a large topology's parse building its tree).
///
/// It accepts only a subset of JSON whose meaning it can reproduce exactly as QJsonDocument would:
/// strict RFC 8259 syntax, integers of at most 18 digits, other numbers that QByteArray::toDouble()
/// (Qt's own conversion) takes, keys of plain
/// ASCII without escapes and unique within their object, strings of well-formed UTF-8 whose escapes
/// stand for ASCII characters, nesting up to 64 levels, no byte-order mark. Anything else, garbage
/// included, makes parse() return false: the caller then falls back to QJsonDocument, which gives
/// the same result or the same error as it always did. Within the subset, Value, Object and Array
/// answer like QJsonValue, QJsonObject and QJsonArray (keys in sorted order, strings decoded), so
/// one parser body can run on either, and indentedJson() writes an object byte for byte as
/// QJsonDocument::toJson(Indented) would.
namespace nestscope::fastjson {

class Document;
class Object;
class Array;

class Value {
public:
    Value() = default;
    QJsonValue::Type type() const;
    bool isUndefined() const { return !m_doc; }
    bool isNull() const { return type() == QJsonValue::Null; }
    bool isBool() const { return type() == QJsonValue::Bool; }
    bool isDouble() const { return type() == QJsonValue::Double; }
    bool isString() const { return type() == QJsonValue::String; }
    bool isArray() const { return type() == QJsonValue::Array; }
    bool isObject() const { return type() == QJsonValue::Object; }
    bool toBool() const;
    double toDouble() const;
    qint64 toInteger() const;
    QString toString() const; ///< a null QString for anything but a string, as QJsonValue does
    Object toObject() const; ///< empty for anything but an object
    Array toArray() const; ///< empty for anything but an array

private:
    friend class Document;
    friend class Object;
    friend class Array;
    Value(const Document *doc, quint32 node)
        : m_doc(doc)
        , m_node(node)
    {
    }
    const Document *m_doc = nullptr;
    quint32 m_node = 0;
};

class Object {
public:
    Object() = default;
    qsizetype size() const;
    bool isEmpty() const { return size() == 0; }
    Value value(QLatin1StringView key) const;
    Value value(const QString &key) const;
    bool contains(QLatin1StringView key) const { return !value(key).isUndefined(); }
    bool contains(const QString &key) const { return !value(key).isUndefined(); }

    class const_iterator {
    public:
        QString key() const;
        Value value() const;
        const_iterator &operator++()
        {
            ++m_i;
            return *this;
        }
        bool operator==(const const_iterator &o) const { return m_i == o.m_i; }
        bool operator!=(const const_iterator &o) const { return m_i != o.m_i; }

    private:
        friend class Object;
        const_iterator(const Object *o, qsizetype i)
            : m_o(o)
            , m_i(i)
        {
        }
        const Object *m_o;
        qsizetype m_i;
    };
    const_iterator begin() const { return const_iterator(this, 0); }
    const_iterator end() const { return const_iterator(this, size()); }

private:
    friend class Value;
    friend class Document;
    Object(const Document *doc, quint32 node)
        : m_doc(doc)
        , m_node(node)
    {
    }
    qsizetype find(const char *key, qsizetype length) const;
    const Document *m_doc = nullptr;
    quint32 m_node = 0;
};

class Array {
public:
    Array() = default;
    qsizetype size() const;
    bool isEmpty() const { return size() == 0; }
    Value at(qsizetype i) const;
    Value first() const { return at(0); }

    class const_iterator {
    public:
        Value operator*() const { return m_a->at(m_i); }
        const_iterator &operator++()
        {
            ++m_i;
            return *this;
        }
        bool operator==(const const_iterator &o) const { return m_i == o.m_i; }
        bool operator!=(const const_iterator &o) const { return m_i != o.m_i; }

    private:
        friend class Array;
        const_iterator(const Array *a, qsizetype i)
            : m_a(a)
            , m_i(i)
        {
        }
        const Array *m_a;
        qsizetype m_i;
    };
    const_iterator begin() const { return const_iterator(this, 0); }
    const_iterator end() const { return const_iterator(this, size()); }

private:
    friend class Value;
    Array(const Document *doc, quint32 node)
        : m_doc(doc)
        , m_node(node)
    {
    }
    const Document *m_doc = nullptr;
    quint32 m_node = 0;
};

/// One parsed text. Values refer into it (and into the bytes it keeps a reference to), so they
/// must not outlive it. Not copyable: parse once, read, drop.
class Document {
public:
    Document() = default;
    Document(const Document &) = delete;
    Document &operator=(const Document &) = delete;

    /// True when `json` is one JSON value inside the subset above; false for anything else.
    bool parse(const QByteArray &json);
    Value root() const { return m_nodes.empty() ? Value() : Value(this, m_root); }

    /// QJsonDocument(object without `skip` keys).toJson(QJsonDocument::Indented), as UTF-8.
    QByteArray indentedJson(const Object &object, std::initializer_list<QLatin1StringView> skip) const;

private:
    friend class Value;
    friend class Object;
    friend class Array;
    enum class Kind : quint8 { Null, False, True, Integer, Double, String, Array, Object };
    enum Flags : quint8 { Escaped = 1, NonAscii = 2 };
    struct Node {
        Kind kind = Kind::Null;
        quint8 flags = 0;
        quint32 size = 0; ///< members (pairs for an object), or a string's length in bytes
        quint32 start = 0; ///< first member in m_kids, or a string's offset in m_data
        qint64 integer = 0;
        double real = 0;
    };
    class Parser;
    QString string(const Node &n) const;
    QByteArray decodedBytes(const Node &n) const;
    class Writer;

    QByteArray m_data; ///< shares the caller's bytes
    std::vector<Node> m_nodes;
    std::vector<quint32> m_kids; ///< an object's members as (key, value) pairs, sorted by key
    quint32 m_root = 0;
};

} // namespace nestscope::fastjson
