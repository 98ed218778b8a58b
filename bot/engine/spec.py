"""The form spec: one YAML file loads into this model tree (see docs/spec-reference.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
BoundDate = Annotated[str, Field(pattern=r"^(today|\d{4}-\d{2}(-\d{2})?)$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Check(Strict):
    """A validation: `rule` is CEL and must be true; otherwise `message` is shown."""

    rule: str
    message: str
    field: Ident | None = None


class FieldBase(Strict):
    id: Ident
    prompt: str
    label: str | None = None
    help: str | None = None
    example: str | None = None
    required: bool = True
    when: str | None = None
    checks: list[Check] = Field(default_factory=list, alias="validate")
    derive: str | None = None
    sensitive: bool = False
    default: str | None = None
    unknown_ok: bool | str = False

    @field_validator("unknown_ok")
    @classmethod
    def _whom(cls, value: bool | str) -> bool | str:
        if isinstance(value, str) and not (0 < len(value.strip()) <= 30):
            raise ValueError("unknown_ok 写 true，或写向谁核实（例如：单位人事部门），最多 30 字")
        return value.strip() if isinstance(value, str) else value

    @property
    def confirm_with(self) -> str | None:
        """Whom to ask when the applicant answered 不清楚 (unknown_ok), or None when not allowed."""
        if self.unknown_ok is False:
            return None
        return self.unknown_ok if isinstance(self.unknown_ok, str) else "所在单位"

    @field_validator("example", "default", mode="before", json_schema_input_type=str | int | float | None)
    @classmethod
    def _as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @property
    def title(self) -> str:
        return self.label or self.id


class TextField(FieldBase):
    type: Literal["text"]
    min_length: int = Field(default=1, ge=0)
    max_length: int = Field(default=100, ge=1, le=20000)
    pattern: str | None = None
    pattern_message: str | None = None


class LongTextField(FieldBase):
    type: Literal["long_text"]
    min_length: int = Field(default=1, ge=0)
    max_length: int = Field(default=2000, ge=1, le=20000)


class NumberField(FieldBase):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str | None = None


class DateField(FieldBase):
    type: Literal["date"]
    min: BoundDate | None = None
    max: BoundDate | None = None


class YearMonthField(FieldBase):
    type: Literal["year_month"]
    min: BoundDate | None = None
    max: BoundDate | None = None
    allow_present: bool = False


class YesNoField(FieldBase):
    type: Literal["yes_no"]


class ChoiceSource(FieldBase):
    choices: list[str] | None = None
    catalog: str | None = None
    campaign_list: str | None = None
    aliases: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> ChoiceSource:
        if self.choices is None and self.catalog is None:
            raise ValueError("需要 choices（选项列表）或 catalog（目录文件名）之一")
        if self.choices is not None and self.catalog is not None:
            raise ValueError("choices 与 catalog 只能写一个")
        return self


class ChoiceField(ChoiceSource):
    type: Literal["choice"]


class MultiChoiceField(ChoiceSource):
    type: Literal["multi_choice"]
    exclusive: list[str] = Field(default_factory=list)
    min_selected: int = Field(default=1, ge=0)
    max_selected: int | None = Field(default=None, ge=1)


class IdNumberField(FieldBase):
    type: Literal["cn_id_number"]
    check_when: str | None = None


class MobileField(FieldBase):
    type: Literal["cn_mobile"]


class PhoneField(FieldBase):
    type: Literal["cn_phone"]


class PostcodeField(FieldBase):
    type: Literal["cn_postcode"]


class UsccField(FieldBase):
    type: Literal["cn_uscc"]


PHOTO_SIZE_MM = (35.0, 49.0)  # 二寸 (3.5 × 4.9 cm), the box most official forms have
PHOTO_SIDE_MM = (10.0, 200.0)  # a printed photo's side: from a small stamp to most of an A4 page


class ImageField(FieldBase):
    type: Literal["image"]
    max_mb: float = Field(default=10, gt=0, le=50)
    print_size_mm: tuple[float, float] = Field(
        default=PHOTO_SIZE_MM,
        description="打印尺寸 [宽, 高]（毫米），照片居中裁剪成这个比例后按此大小放进文件，默认二寸 [35, 49]",
    )

    @field_validator("print_size_mm", mode="before")
    @classmethod
    def _print_size(cls, value: object) -> object:
        low, high = PHOTO_SIDE_MM
        fix = f"print_size_mm 写成 [宽, 高]（毫米，各在 {low:g}–{high:g} 之间），例如二寸照片写 [35, 49]"
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(fix)
        for side in value:
            if isinstance(side, bool) or not isinstance(side, int | float) or not low <= side <= high:
                raise ValueError(fix)
        return tuple(float(side) for side in value)


class FileField(FieldBase):
    type: Literal["file"]
    max_mb: float = Field(default=10, gt=0, le=50)
    accept: list[str] = Field(default_factory=lambda: ["application/pdf", "image/jpeg", "image/png"])


AnyField = Annotated[
    TextField
    | LongTextField
    | NumberField
    | DateField
    | YearMonthField
    | YesNoField
    | ChoiceField
    | MultiChoiceField
    | IdNumberField
    | MobileField
    | PhoneField
    | PostcodeField
    | UsccField
    | ImageField
    | FileField,
    Field(discriminator="type"),
]

FIELD_TYPES: tuple[str, ...] = (
    "text",
    "long_text",
    "number",
    "date",
    "year_month",
    "yes_no",
    "choice",
    "multi_choice",
    "cn_id_number",
    "cn_mobile",
    "cn_phone",
    "cn_postcode",
    "cn_uscc",
    "image",
    "file",
)


class Repeat(Strict):
    min: int = Field(default=1, ge=0)
    max: int = Field(default=10, ge=1, le=50)
    item: str = "记录"
    more_prompt: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Repeat:
        if self.min > self.max:
            raise ValueError(f"min（{self.min}）不能大于 max（{self.max}）")
        return self


class Section(Strict):
    id: Ident
    title: str
    intro: str | None = None
    when: str | None = None
    repeat: Repeat | None = None
    fields: list[AnyField] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list, alias="validate")

    @property
    def is_group(self) -> bool:
        return self.repeat is not None


class Outcome(Strict):
    label: str


class RuleFix(Strict):
    """A one-tap suggestion: the answer to `field` becomes `value` (a text with `{名称}` filled in)."""

    field: Ident
    value: str = Field(min_length=1, max_length=100)


class Rule(Strict):
    id: Ident
    when: str
    outcome: Literal["ineligible", "warning", "info"]
    message: str | None = None
    basis: str
    suggest: str | None = None
    fix: RuleFix | None = None
    set: dict[Ident, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _message_or_set(self) -> Rule:
        if self.message is None and not self.set:
            raise ValueError("规则需要 message（提示语）或 set（设定结果值）")
        return self


class DocumentSpec(Strict):
    id: Ident
    template: str
    filename: str
    title: str | None = None
    when: str | None = None
    values: dict[Ident, str] = Field(default_factory=dict)


class SummaryColumn(Strict):
    """One column of a summary table declared without a template: its heading and what each row shows:
    `value` (an expression; a bare field name is written as on paper, `_index` is the row number) or
    `text` (words with `{名称}` replaced)."""

    title: str = Field(min_length=1, max_length=40)
    value: str | None = None
    text: str | None = None
    width: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_source(self) -> SummaryColumn:
        if (self.value is None) == (self.text is None):
            raise ValueError("每一列写 value（表达式或名称）或 text（带 {名称} 的文字），两者只写一个")
        return self


class SummarySpec(Strict):
    """A coordinator's summary table (汇总表): one .xlsx for the applications collected (see docs). Either
    an author's `template` or `columns` (a plain printed table); `columns` also make the CSV export.
    `sort_by` ranks a choice field by its choice order; `footnote` is printed below the last row."""

    id: Ident
    template: str | None = None
    columns: list[SummaryColumn] = Field(default_factory=list, max_length=60)
    filename: str
    title: str | None = None
    sheet_by: Ident | None = None
    where: str | None = None
    sort_by: list[Ident] = Field(default_factory=list)
    footnote: str | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _template_or_columns(self) -> SummarySpec:
        if self.template is None and not self.columns:
            raise ValueError("汇总表要写 template（Excel 模板）或 columns（各列），至少写一个")
        return self


class DuplicateCheck(Strict):
    """Applications whose answers to `same` are all equal (ID numbers compared normalised, through a keyed
    blind index, never in clear) are flagged to each other as a warning (see docs)."""

    id: Ident
    same: list[Ident] = Field(min_length=1)
    scope: Literal["form", "campaign"] = "form"
    message: str
    basis: str


class ListingSpec(Strict):
    """What the coordinators' list filters and searches by (see docs/spec-reference.md `listing`): each key
    names a field (or, for `method` and `occupation`, also a computed value or outcome) of this form."""

    name: Ident | None = None
    unit: Ident | None = None
    phone: Ident | None = None
    method: Ident | None = None
    occupation: Ident | None = None


class ChecklistItem(Strict):
    text: str
    when: str | None = None
    group: Literal["材料", "签章", "提交", "提示"] = "材料"
    action: bool | None = None  # something the applicant does (a checkbox); default: every group but 提示


DATE_STYLES = ("dots", "chinese")


class FormSpec(Strict):
    id: Ident
    title: str
    short_title: str | None = None
    version: str = "1"
    intro: str | None = None
    basis: dict[Ident, str] = Field(min_length=1)
    sections: list[Section] = Field(min_length=1)
    computed: dict[Ident, str] = Field(default_factory=dict)
    outcomes: dict[Ident, Outcome] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    documents: list[DocumentSpec] = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(default_factory=list)
    summaries: list[SummarySpec] = Field(default_factory=list)
    duplicates: list[DuplicateCheck] = Field(default_factory=list)
    listing: ListingSpec = Field(default_factory=ListingSpec)
    copies: int = Field(default=1, ge=1, le=10)
    date_style: Literal["dots", "chinese"] = Field(
        default="dots",
        description="文件里日期的写法：dots（2012.07、2021.07.01）或 chinese（2012年7月、2021年7月1日）",
    )

    @field_validator("sections")
    @classmethod
    def _unique_ids(cls, sections: list[Section]) -> list[Section]:
        seen: set[str] = set()
        for section in sections:
            names = [section.id] if section.is_group else [f.id for f in section.fields]
            for name in names:
                if name in seen:
                    raise ValueError(
                        f"编号 {name!r} 重复（分组 {section.id}）：每个字段和重复组的 id 必须唯一"
                    )
                seen.add(name)
        return sections


def model_keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (aliases where set)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def field_model(type_name: str) -> type[FieldBase] | None:
    for cls in FieldBase.__subclasses__():
        found = _find_type(cls, type_name)
        if found is not None:
            return found
    return None


def _find_type(cls: type[FieldBase], type_name: str) -> type[FieldBase] | None:
    annotation: Any = cls.model_fields.get("type")
    if annotation is not None and getattr(annotation.annotation, "__args__", ()) == (type_name,):
        return cls
    for sub in cls.__subclasses__():
        found = _find_type(sub, type_name)
        if found is not None:
            return found
    return None
