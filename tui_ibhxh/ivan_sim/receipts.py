"""The BHXH confirmation (XACNHAN_GDICH, form 01/TB-GD) of a final transaction, signed with the BHXH key."""

from __future__ import annotations

from datetime import datetime

from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.i18n import VN_TZ
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.core.receipt import KQUA_ACCEPTED, KQUA_REJECTED, Receipt, ReceiptSigner, sign_receipt
from tui_ibhxh.ivan_sim.keys import SoftwareSigner
from tui_ibhxh.ivan_sim.store import TxRecord, UnitRecord
from tui_ibhxh.ivan_sim.views import LOAI_GDICH, MALOAI_HSO

KQUA_TEXT = {TxStatus.ACCEPTED: "Chấp nhận (Thành công)", TxStatus.REJECTED: "Từ chối"}


def signed_receipt(
    signer: SoftwareSigner,
    unit: UnitRecord,
    rec: TxRecord,
    *,
    status: TxStatus,
    ma_loi: str | None,
    mota_loi: str | None,
    at: datetime,
) -> bytes:
    info = parse_certificate(signer.certificate_der)
    receipt = Receipt(
        ten_dvi=unit.unit.ten_dvi,
        ten_coquan=unit.unit.co_quan_bhxh,
        ma_dvi=unit.unit.ma_dvi,
        mst=unit.unit.mst,
        diadiem=unit.unit.diadiem,
        ngay_thongbao=at.astimezone(VN_TZ).date(),
        so_hso=rec.tx.so_hso,
        ten_gdich=LOAI_GDICH,
        maloai_hso=MALOAI_HSO,
        ngay_gdich=rec.tx.submitted_at,
        ma_gdich=rec.tx.ma_gdich,
        ma_kqua=KQUA_ACCEPTED if status is TxStatus.ACCEPTED else KQUA_REJECTED,
        kqua=KQUA_TEXT[status],
        ma_loi=ma_loi,
        mota_loi=mota_loi,
        signer=ReceiptSigner(subject=info.subject, serial=info.serial, time=at),
    )
    return sign_receipt(receipt, signer)
