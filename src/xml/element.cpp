#include "xml/element.hpp"

#include <algorithm>
#include <utility>

namespace starling::xml {

namespace {

bool matches(const Element& element, std::string_view name, std::string_view xmlns) {
    return element.name() == name && (xmlns.empty() || element.xmlns() == xmlns);
}

}  // namespace

Namespace make_namespace(std::string name) {
    if (name.empty()) return nullptr;
    return std::make_shared<const std::string>(std::move(name));
}

const std::string& Element::xmlns() const {
    static const std::string none;
    return xmlns_ ? *xmlns_ : none;
}

std::string_view Element::attr(std::string_view name) const {
    for (const Attribute& attribute : attrs_) {
        if (attribute.name == name) return attribute.value;
    }
    return {};
}

bool Element::has_attr(std::string_view name) const {
    return std::any_of(attrs_.begin(), attrs_.end(),
                       [&](const Attribute& attribute) { return attribute.name == name; });
}

Element& Element::set_attr(std::string_view name, std::string_view value) {
    for (Attribute& attribute : attrs_) {
        if (attribute.name == name) {
            attribute.value.assign(value);
            return *this;
        }
    }
    attrs_.push_back(Attribute{std::string(name), std::string(value)});
    return *this;
}

void Element::remove_attr(std::string_view name) {
    std::erase_if(attrs_, [&](const Attribute& attribute) { return attribute.name == name; });
}

Element& Element::add_child(std::string name, std::string xmlns) {
    // Resolving the inherited namespace here keeps every element of a tree self-describing, so
    // child() lookups by namespace work the same on built and on parsed trees.
    if (xmlns.empty() || xmlns == this->xmlns()) return add_child(std::move(name), xmlns_);
    return add_child(std::move(name), make_namespace(std::move(xmlns)));
}

Element& Element::add_child(std::string name, Namespace xmlns) {
    auto child = std::make_shared<Element>(std::move(name), xmlns ? std::move(xmlns) : xmlns_);
    Element& added = *child;
    children_.emplace_back(std::move(child));
    return added;
}

Element& Element::add_child(ElementPtr child) {
    if (!child->xmlns_) child->xmlns_ = xmlns_;
    Element& added = *child;
    children_.emplace_back(std::move(child));
    return added;
}

void Element::add_text(std::string_view text) {
    if (text.empty()) return;
    // Expat delivers character data in pieces (split reads, entity references); one node per run
    // keeps text() cheap and the tree independent of how the bytes arrived.
    if (!children_.empty()) {
        if (auto* run = std::get_if<std::string>(&children_.back())) {
            run->append(text);
            return;
        }
    }
    children_.emplace_back(std::string(text));
}

void Element::remove_children(std::string_view name, std::string_view xmlns) {
    std::erase_if(children_, [&](const Node& node) {
        const auto* element = std::get_if<ElementPtr>(&node);
        return element != nullptr && matches(**element, name, xmlns);
    });
}

const Element* Element::child(std::string_view name, std::string_view xmlns) const {
    for (const Node& node : children_) {
        if (const auto* element = std::get_if<ElementPtr>(&node)) {
            if (matches(**element, name, xmlns)) return element->get();
        }
    }
    return nullptr;
}

Element* Element::child(std::string_view name, std::string_view xmlns) {
    return const_cast<Element*>(std::as_const(*this).child(name, xmlns));
}

const Element* Element::first_child_element() const {
    for (const Node& node : children_) {
        if (const auto* element = std::get_if<ElementPtr>(&node)) return element->get();
    }
    return nullptr;
}

std::vector<const Element*> Element::child_elements() const {
    std::vector<const Element*> elements;
    for (const Node& node : children_) {
        if (const auto* element = std::get_if<ElementPtr>(&node)) {
            elements.push_back(element->get());
        }
    }
    return elements;
}

std::string Element::text() const {
    std::string text;
    for (const Node& node : children_) {
        if (const auto* run = std::get_if<std::string>(&node)) text += *run;
    }
    return text;
}

std::string Element::child_text(std::string_view name, std::string_view xmlns) const {
    const Element* found = child(name, xmlns);
    return found != nullptr ? found->text() : std::string();
}

ElementPtr Element::clone() const {
    auto copy = std::make_shared<Element>(name_, xmlns_);
    copy->attrs_ = attrs_;
    copy->children_.reserve(children_.size());
    for (const Node& node : children_) {
        if (const auto* element = std::get_if<ElementPtr>(&node)) {
            copy->children_.emplace_back((*element)->clone());
        } else {
            copy->children_.push_back(node);
        }
    }
    return copy;
}

ElementPtr make_element(std::string name, std::string xmlns) {
    return std::make_shared<Element>(std::move(name), std::move(xmlns));
}

}  // namespace starling::xml
