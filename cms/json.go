package cms

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeJSON reads exactly one JSON value from r into dst, refusing fields
// dst does not have. What is wrong with the JSON itself is an *Error:
// EBADREQUEST for empty, broken or incomplete JSON, a value that is not an
// object, or more than one value; EINVALID naming the field for an unknown
// field or a value of the wrong type. Any other error (reading r, or a
// field's own UnmarshalJSON, such as a malformed time) is returned as it
// is, for the caller to word.
func DecodeJSON(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(EBADREQUEST, "请求内容不是单个 JSON 对象")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return Errorf(EBADREQUEST, "请求内容为空，需要 JSON 对象")
	case errors.As(err, &syntax):
		return Errorf(EBADREQUEST, "JSON 格式错误（第 %d 个字节附近）", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(EBADREQUEST, "JSON 内容不完整")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Errorf(EBADREQUEST, "请求内容必须是 JSON 对象")
		}
		return Invalid(map[string]string{typ.Field: fmt.Sprintf("类型错误：应为%s", jsonTypeName(typ.Type.Kind().String()))})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for this one.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Invalid(map[string]string{name: "不支持的字段"})
	}
	return err
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "字符串"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "数字"
	case "bool":
		return "布尔值"
	case "slice":
		return "数组"
	case "struct", "map", "ptr":
		return "对象"
	}
	return kind
}
